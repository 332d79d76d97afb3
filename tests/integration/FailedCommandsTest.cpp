// The operator's commands on the failed table and the dedup table, run as the real binary
// against a SQLite file: failed:list/show/retry/remove and cleanup:dedup.
#include "core/config/Settings.h"
#include "core/db/Database.h"
#include "core/db/Schema.h"
#include "core/failed/FailedStore.h"
#include "core/failed/OutboxEnvelope.h"
#include "core/inbox/DedupStore.h"
#include "core/util/Clock.h"
#include "support/TestEnv.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>

using namespace msgbus;
using namespace Poco::Data::Keywords;

class FailedCommandsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FailedCommandsTest);
    CPPUNIT_TEST(testListShowRetryAndRemove);
    CPPUNIT_TEST(testCleanupDedupRemovesOnlyOldRows);
    CPPUNIT_TEST(testListAndShowAsJson);
    CPPUNIT_TEST_SUITE_END();

    std::string _config;
    core::Settings _settings;
    std::unique_ptr<core::Database> _database;

public:
    void setUp() override {
        std::string dir = test::tempDir("failedcli");
        auto props = test::baseProperties("SQLite", dir + "/bus.db", "ex");
        _config = test::writeProperties(dir + "/msgbus.properties", props);
        _settings = core::Settings::load(*test::configFrom(props));
        _database = std::make_unique<core::Database>(_settings.db);
        core::Schema::apply(*_database,
                            {_settings.outbox.table, _settings.dedupTable, _settings.failedTable});
    }

private:
    std::string run(const std::string& args, int expectedExit = 0) {
        std::string output;
        int rc =
            test::runCommand(test::msgbusBinary() + " " + args + " --config " + _config, &output);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(args + ": " + output, expectedExit, rc);
        return output;
    }

    /// stdout alone (the logs go to stderr), parsed as one JSON object.
    Poco::JSON::Object::Ptr runJson(const std::string& args) {
        std::string output;
        int rc = test::runCommandStdout(test::msgbusBinary() + " " + args + " --config " + _config,
                                        &output);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(args + ": " + output, 0, rc);
        try {
            return Poco::JSON::Parser().parse(output).extract<Poco::JSON::Object::Ptr>();
        } catch (const std::exception&) {
            CPPUNIT_FAIL(args + ": not one JSON document: " + output);
        }
        return nullptr;
    }

    int count(const std::string& sql) {
        auto session = _database->session();
        int n = -1;
        *session << sql, into(n), now;
        return n;
    }

    std::int64_t insertFailed(const std::string& source, const Message& message) {
        core::FailedRecord r;
        r.queueName = "failed";
        r.source = source;
        r.messageId = message.id();
        r.messageName = message.name();
        r.envelopeJson = core::OutboxEnvelope::encode(message);
        r.body = message.payload();
        r.errorClass = "OutboxPublishFailed";
        r.errorMessage = "NO_ROUTE for a test";
        r.attempts = 10;
        r.createdAt = r.availableAt = core::nowMillis();
        r.failedAt = r.createdAt;
        auto session = _database->session();
        return core::FailedStore(_database->dialect(), _settings.failedTable).insert(*session, r);
    }

public:
    void testListShowRetryAndRemove() {
        Message outboxMessage("order.placed", R"({"orderId":"o-1"})");
        outboxMessage.setId(Id::generate());
        outboxMessage.setCreatedAt(1700000000000);
        outboxMessage.setPartitionKey("customer-1");
        outboxMessage.setHeader("correlation-id", "c-1");
        Message inboxMessage("order.shipped", R"({"orderId":"o-2"})");
        inboxMessage.setId(Id::generate());
        inboxMessage.setCreatedAt(1700000000000);
        auto outboxRow = insertFailed("outbox", outboxMessage);
        auto inboxRow = insertFailed("amqp:orders", inboxMessage);

        std::string list = run("failed:list");
        CPPUNIT_ASSERT(list.find(outboxMessage.id().toString()) != std::string::npos);
        CPPUNIT_ASSERT(list.find("2 row(s)") != std::string::npos);
        CPPUNIT_ASSERT(run("failed:list --source outbox").find("1 row(s)") != std::string::npos);
        std::string show = run("failed:show " + std::to_string(inboxRow));
        CPPUNIT_ASSERT(show.find(R"({"orderId":"o-2"})") != std::string::npos);
        CPPUNIT_ASSERT(show.find("NO_ROUTE for a test") != std::string::npos);
        run("failed:show 999999", 2);

        // An outbox message goes back into the outbox with its id, key and headers.
        run("failed:retry " + std::to_string(outboxRow));
        auto session = _database->session();
        std::string id, key, headers;
        Poco::Int64 created = 0;
        *session << "SELECT lower(hex(message_id)), partition_key, headers, created_at FROM " +
                        _settings.outbox.table,
            into(id), into(key), into(headers), into(created), now;
        std::string expected = outboxMessage.id().toString();
        expected.erase(std::remove(expected.begin(), expected.end(), '-'), expected.end());
        CPPUNIT_ASSERT_EQUAL(expected, id);
        CPPUNIT_ASSERT_EQUAL(std::string("customer-1"), key);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"correlation-id":"c-1"})"), headers);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1700000000000), created);

        // An inbox message becomes a retry row, due now.
        run("failed:retry " + std::to_string(inboxRow));
        CPPUNIT_ASSERT_EQUAL(1, count("SELECT COUNT(*) FROM " + _settings.failedTable +
                                      " WHERE queue_name = 'retry'"));

        run("failed:remove --all", 2); // needs --force
        run("failed:remove --all --force");
        CPPUNIT_ASSERT_EQUAL(0, count("SELECT COUNT(*) FROM " + _settings.failedTable));
    }

    void testCleanupDedupRemovesOnlyOldRows() {
        core::DedupStore dedup(_database->dialect(), _settings.dedupTable);
        auto session = _database->session();
        const std::int64_t now = core::nowMillis();
        for (int i = 0; i < 25; ++i)
            dedup.tryInsert(*session, Id::generate(), "c", "order.placed",
                            now - 10LL * 86400000); // ten days old
        for (int i = 0; i < 5; ++i)
            dedup.tryInsert(*session, Id::generate(), "c", "order.placed", now);
        std::string out = run("cleanup:dedup --older-than 7d --batch-size 10");
        CPPUNIT_ASSERT(out.find("removed 25") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(5, count("SELECT COUNT(*) FROM " + _settings.dedupTable));
        run("cleanup:dedup --older-than soon", 2);
    }

    void testListAndShowAsJson() {
        Message message("order.shipped", R"({"orderId":"o-3"})");
        message.setId(Id::generate());
        auto row = insertFailed("amqp:orders", message);
        Message binary("order.binary", std::string("\xff\x00raw", 5));
        binary.setId(Id::generate());
        auto binaryRow = insertFailed("amqp:orders", binary);

        auto list = runJson("failed:list --json");
        CPPUNIT_ASSERT_EQUAL(2, list->getValue<int>("count"));
        auto rows = list->getArray("rows");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), rows->size());
        bool found = false;
        for (std::size_t i = 0; i < rows->size(); ++i) {
            auto r = rows->getObject(static_cast<unsigned>(i));
            if (r->getValue<std::int64_t>("id") != row)
                continue;
            found = true;
            CPPUNIT_ASSERT_EQUAL(message.id().toString(), r->getValue<std::string>("message_id"));
            CPPUNIT_ASSERT_EQUAL(std::string("failed"), r->getValue<std::string>("queue"));
            CPPUNIT_ASSERT_EQUAL(std::string("NO_ROUTE for a test"),
                                 r->getValue<std::string>("error_message"));
        }
        CPPUNIT_ASSERT(found);

        auto shown = runJson("failed:show " + std::to_string(row) + " --json");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"orderId":"o-3"})"),
                             shown->getValue<std::string>("body"));
        CPPUNIT_ASSERT(shown->getObject("envelope"));
        auto raw = runJson("failed:show " + std::to_string(binaryRow) + " --json");
        CPPUNIT_ASSERT(raw->isNull("body"));
        CPPUNIT_ASSERT_EQUAL(std::string("/wByYXc="), raw->getValue<std::string>("body_base64"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FailedCommandsTest);
