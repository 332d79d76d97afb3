// OutboxWriter inside the application's transaction, on real MariaDB and SQLite.
#include "core/db/Database.h"
#include "core/db/Schema.h"
#include "core/db/Transaction.h"
#include "support/TestEnv.h"

#include <msgbus/Error.h>
#include <msgbus/OutboxWriter.h>

#include <Poco/Data/LOB.h>
#include <Poco/Data/Session.h>

#include <algorithm>

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus;
using namespace Poco::Data::Keywords;

class OutboxWriterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OutboxWriterTest);
    CPPUNIT_TEST(testRollbackLeavesNoRowOnMariaDb);
    CPPUNIT_TEST(testRollbackLeavesNoRowOnSqlite);
    CPPUNIT_TEST(testCommitLeavesOneRowWithEveryFieldOnMariaDb);
    CPPUNIT_TEST(testCommitLeavesOneRowWithEveryFieldOnSqlite);
    CPPUNIT_TEST(testInvalidMessagesAreRefusedWhereTheyEnter);
    CPPUNIT_TEST(testPinnedIdIsKept);
    CPPUNIT_TEST(testHeadersCountTowardsTheStatementSize);
    CPPUNIT_TEST_SUITE_END();

    struct Fixture {
        std::unique_ptr<core::Database> database;
        std::string table = test::uniqueName("outbox");
    };

    static Fixture open(const std::string& connector) {
        Fixture f;
        std::string connection =
            connector == "MySQL" ? test::createMysqlDatabase() : test::createSqliteDatabase();
        f.database =
            std::make_unique<core::Database>(core::DatabaseSettings{connector, connection, 2});
        core::Schema::apply(*f.database,
                            {f.table, test::uniqueName("dedup"), test::uniqueName("failed")});
        auto session = f.database->session();
        *session << "CREATE TABLE business (name VARCHAR(64) NOT NULL)", now;
        return f;
    }

    static int count(core::Database& db, const std::string& table) {
        auto session = db.session();
        int n = -1;
        *session << "SELECT COUNT(*) FROM " + table, into(n), now;
        return n;
    }

    void rollbackLeavesNoRow(const std::string& connector) {
        auto f = open(connector);
        {
            auto session = f.database->session();
            core::Transaction tx(*session, f.database->dialect());
            *session << "INSERT INTO business (name) VALUES ('x')", now;
            OutboxWriter writer(*session, {f.table, 1024 * 1024});
            Message m("order.placed", R"({"orderId":"o-1"})");
            writer.write(m);
            tx.rollback();
        }
        CPPUNIT_ASSERT_EQUAL(0, count(*f.database, f.table));
        CPPUNIT_ASSERT_EQUAL(0, count(*f.database, "business"));
    }

    void commitLeavesOneRow(const std::string& connector) {
        auto f = open(connector);
        Message m("billing.invoice.paid", R"({"amount":12.5,"text":"é"})");
        m.setHeader("correlation-id", "c-1");
        m.setHeader("traceparent", "00-abc-def-01");
        m.setPartitionKey("customer-7");
        Id id = Id::generate();
        {
            auto session = f.database->session();
            core::Transaction tx(*session, f.database->dialect());
            *session << "INSERT INTO business (name) VALUES ('x')", now;
            id = OutboxWriter(*session, {f.table, 1024 * 1024}).write(m);
            tx.commit();
        }
        CPPUNIT_ASSERT_EQUAL(1, count(*f.database, f.table));
        CPPUNIT_ASSERT_EQUAL(1, count(*f.database, "business"));
        auto session = f.database->session();
        std::string hexId, name, key, headers;
        Poco::Data::BLOB body;
        Poco::Int64 created = 0, available = 0, attempts = -1;
        *session << "SELECT lower(hex(message_id)), message_name, partition_key, headers, body, "
                    "created_at, available_at, attempts FROM " +
                        f.table,
            into(hexId), into(name), into(key), into(headers), into(body), into(created),
            into(available), into(attempts), now;
        std::string expectedHex = id.toString();
        expectedHex.erase(std::remove(expectedHex.begin(), expectedHex.end(), '-'),
                          expectedHex.end());
        CPPUNIT_ASSERT_EQUAL(expectedHex, hexId);
        CPPUNIT_ASSERT(m.id() == id);
        CPPUNIT_ASSERT_EQUAL(std::string("billing.invoice.paid"), name);
        CPPUNIT_ASSERT_EQUAL(std::string("customer-7"), key);
        CPPUNIT_ASSERT_EQUAL(
            std::string(R"({"correlation-id":"c-1","traceparent":"00-abc-def-01"})"), headers);
        CPPUNIT_ASSERT_EQUAL(
            m.payload(),
            std::string(reinterpret_cast<const char*>(body.rawContent()), body.size()));
        CPPUNIT_ASSERT(created > 1700000000000LL);
        CPPUNIT_ASSERT_EQUAL(created, available);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), attempts);
    }

public:
    void testRollbackLeavesNoRowOnMariaDb() { rollbackLeavesNoRow("MySQL"); }
    void testRollbackLeavesNoRowOnSqlite() { rollbackLeavesNoRow("SQLite"); }
    void testCommitLeavesOneRowWithEveryFieldOnMariaDb() { commitLeavesOneRow("MySQL"); }
    void testCommitLeavesOneRowWithEveryFieldOnSqlite() { commitLeavesOneRow("SQLite"); }

    void testInvalidMessagesAreRefusedWhereTheyEnter() {
        auto f = open("SQLite");
        auto session = f.database->session();
        OutboxWriter writer(*session, {f.table, 64});
        auto refused = [&](Message m, const std::string& expected) {
            try {
                writer.write(m);
                CPPUNIT_FAIL("accepted " + m.name() + " " + m.payload());
            } catch (const InvalidArgument& e) {
                CPPUNIT_ASSERT_MESSAGE(e.what(),
                                       std::string(e.what()).find(expected) != std::string::npos);
            }
        };
        refused(Message("Order.Placed", "{}"), "invalid message name 'Order.Placed'");
        refused(Message("order", "{}"), "invalid message name 'order'");
        refused(Message("order.placed", "[1,2]"), "a JSON object is required");
        refused(Message("order.placed", "{not json"), "not valid JSON");
        refused(Message("order.placed", std::string(R"({"a":")") + "\xff" + "\"}"), "UTF-8");
        refused(Message("order.placed", R"({"big":")" + std::string(100, 'x') + "\"}"),
                "exceeds the limit of 64");
        CPPUNIT_ASSERT_EQUAL(0, count(*f.database, f.table));
    }

    void testPinnedIdIsKept() {
        auto f = open("SQLite");
        auto session = f.database->session();
        Message m("order.placed", "{}");
        Id pinned = Id::parse("0190a6f2-3b4c-7d5e-8f60-1a2b3c4d5e6f");
        m.setId(pinned);
        CPPUNIT_ASSERT(OutboxWriter(*session, {f.table, 1024}).write(m) == pinned);
    }

    void testHeadersCountTowardsTheStatementSize() {
        auto f = open("MySQL");
        auto session = f.database->session();
        Poco::Int64 packet = 0;
        *session << "SELECT @@max_allowed_packet", into(packet), now;
        // Small payloads, large headers: together more than the server takes in one packet,
        // in fewer rows than one statement may hold. Counted by payload alone they would go
        // in one INSERT, and the server would drop the connection.
        const std::size_t headerBytes = 256 * 1024;
        const std::size_t rows = static_cast<std::size_t>(packet) * 5 / 4 / headerBytes + 1;
        CPPUNIT_ASSERT(rows < OutboxWriter::kMaxRowsPerStatement);
        std::vector<Message> messages;
        for (std::size_t i = 0; i < rows; ++i) {
            messages.emplace_back("order.placed", R"({"n":1})");
            messages.back().setHeader("note", std::string(headerBytes, 'h'));
        }
        core::Transaction tx(*session, f.database->dialect());
        OutboxWriter(*session, {f.table, 1024 * 1024}).write(messages);
        tx.commit();
        int stored = 0;
        *session << "SELECT COUNT(*) FROM " + f.table + " WHERE LENGTH(headers) > " +
                        std::to_string(headerBytes),
            into(stored), now;
        CPPUNIT_ASSERT_EQUAL(static_cast<int>(rows), stored);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OutboxWriterTest);
