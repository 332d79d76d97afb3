// msgbus setup against real MariaDB and SQLite: the tables exist, twice is harmless.
#include "core/db/Schema.h"
#include "core/config/Settings.h"
#include "core/db/Database.h"
#include "support/TestEnv.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus;
using namespace Poco::Data::Keywords;

class SchemaTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SchemaTest);
    CPPUNIT_TEST(testSetupCreatesTablesOnMariaDbAndIsIdempotent);
    CPPUNIT_TEST(testSetupCreatesTablesOnSqliteAndIsIdempotent);
    CPPUNIT_TEST(testClaimQueryUsesTheAvailableIndexOnMariaDb);
    CPPUNIT_TEST(testSetupCommandCreatesSchemaAndTopologyTwice);
    CPPUNIT_TEST(testDumpSqlPrintsDdlWithoutTouchingTheDatabase);
    CPPUNIT_TEST_SUITE_END();

    static std::vector<std::string> columns(Poco::Data::Session& session, core::Dialect dialect,
                                            const std::string& table) {
        std::vector<std::string> names;
        if (dialect == core::Dialect::MySQL)
            session << "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                       "DATABASE() AND table_name = ? ORDER BY ordinal_position",
                useRef(table), into(names), now;
        else
            session << "SELECT name FROM pragma_table_info(?)", useRef(table), into(names), now;
        return names;
    }

    void checkSchema(const std::string& connector, const std::string& connection) {
        core::DatabaseSettings db{connector, connection, 2};
        core::Database database(db);
        core::TableNames tables{test::uniqueName("outbox"), test::uniqueName("dedup"),
                                test::uniqueName("failed")};
        core::Schema::apply(database, tables);
        core::Schema::apply(database, tables); // idempotent
        auto session = database.session();
        CPPUNIT_ASSERT_EQUAL(
            std::string("seq,message_id,message_name,partition_key,headers,body,created_at,"
                        "available_at,attempts,last_error"),
            join(columns(*session, database.dialect(), tables.outbox)));
        CPPUNIT_ASSERT_EQUAL(
            std::string("id,message_id,message_name,partition_key,headers,body,created_at,"
                        "attempts,delivered_at,exchange,routing_key"),
            join(columns(*session, database.dialect(), core::deliveredTableOf(tables.outbox))));
        CPPUNIT_ASSERT_EQUAL(std::string("message_id,consumer,message_name,processed_at"),
                             join(columns(*session, database.dialect(), tables.dedup)));
        CPPUNIT_ASSERT_EQUAL(
            std::string("run_key,consumer,runs,last_run_at"),
            join(columns(*session, database.dialect(), core::runsTableOf(tables.dedup))));
        CPPUNIT_ASSERT_EQUAL(
            std::string(
                "id,queue_name,source,message_id,message_name,headers,body,error_class,"
                "error_message,attempts,created_at,available_at,failed_at,failure_group,leased_by"),
            join(columns(*session, database.dialect(), tables.failed)));
        CPPUNIT_ASSERT_EQUAL(
            std::string("id,acted_at,who,origin,action,filter_json,row_count,done,refused"),
            join(columns(*session, database.dialect(), core::auditTableOf(tables.failed))));
    }

    static std::string join(const std::vector<std::string>& v) {
        std::string out;
        for (const auto& s : v)
            out += (out.empty() ? "" : ",") + s;
        return out;
    }

public:
    void testSetupCreatesTablesOnMariaDbAndIsIdempotent() {
        checkSchema("MySQL", test::createMysqlDatabase());
    }

    void testSetupCreatesTablesOnSqliteAndIsIdempotent() {
        checkSchema("SQLite", test::createSqliteDatabase());
    }

    void testClaimQueryUsesTheAvailableIndexOnMariaDb() {
        core::Database database({"MySQL", test::createMysqlDatabase(), 2});
        core::TableNames tables{"messenger_outbox", "dedup", "failed"};
        core::Schema::apply(database, tables);
        auto session = database.session();
        Poco::Data::Statement explain(*session);
        explain << "EXPLAIN SELECT seq FROM messenger_outbox WHERE available_at <= 1 ORDER BY "
                   "available_at, seq LIMIT 500 FOR UPDATE SKIP LOCKED";
        explain.execute();
        Poco::Data::RecordSet rs(explain);
        CPPUNIT_ASSERT(rs.moveFirst());
        std::string usedKey = rs["key"].isEmpty() ? "" : rs["key"].convert<std::string>();
        std::string extra = rs["Extra"].isEmpty() ? "" : rs["Extra"].convert<std::string>();
        CPPUNIT_ASSERT_EQUAL(std::string("ix_messenger_outbox_available"), usedKey);
        CPPUNIT_ASSERT(extra.find("filesort") == std::string::npos);
    }

    void testSetupCommandCreatesSchemaAndTopologyTwice() {
        std::string dir = test::tempDir("setup");
        std::string exchange = test::uniqueName("setup_ex");
        std::string queue = test::uniqueName("setup_q");
        auto props =
            test::baseProperties("SQLite", dir + "/bus.db", exchange,
                                 {{"amqp.exchange." + exchange + ".type", "topic"},
                                  {"amqp.queue." + queue + ".bindings", exchange + ":order.#"}});
        std::string config = test::writeProperties(dir + "/msgbus.properties", props);
        std::string output;
        for (int i = 0; i < 2; ++i) {
            int rc = test::runCommand(test::msgbusBinary() + " setup --config " + config, &output);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, rc);
            CPPUNIT_ASSERT(output.find("1 exchange(s), 1 queue(s) declared") != std::string::npos);
        }
        test::deleteQueueAndExchange(queue, exchange);
    }

    void testDumpSqlPrintsDdlWithoutTouchingTheDatabase() {
        std::string dir = test::tempDir("dump");
        auto props = test::baseProperties("MySQL", "host=127.0.0.1;port=1;db=x;user=u;password=p",
                                          "ex", {{"outbox.table", "my_outbox"}});
        std::string config = test::writeProperties(dir + "/msgbus.properties", props);
        std::string output;
        int rc = test::runCommand(test::msgbusBinary() + " setup --dump-sql --config " + config,
                                  &output);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, rc);
        CPPUNIT_ASSERT(output.find("CREATE TABLE IF NOT EXISTS my_outbox") != std::string::npos);
        CPPUNIT_ASSERT(output.find("FOR UPDATE") == std::string::npos);
        CPPUNIT_ASSERT(output.find("ENGINE=InnoDB") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SchemaTest);
