// The inbox against real MariaDB/SQLite and RabbitMQ, with the orders sample plugin as the
// handler: duplicates run once, bad input lands in the failed table and the consumer goes on,
// a failing handler leaves a retry row.
#include "core/amqp/AmqpPublisher.h"
#include "core/amqp/AmqpUrl.h"
#include "core/config/Settings.h"
#include "core/db/Database.h"
#include "core/db/Schema.h"
#include "core/failed/FailedStore.h"
#include "core/host/Metrics.h"
#include "core/host/StopSignal.h"
#include "core/inbox/InboxConsumer.h"
#include "core/plugins/PluginLoader.h"
#include "support/TestEnv.h"

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <map>

using namespace msgbus;
using namespace Poco::Data::Keywords;

class InboxTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(InboxTest);
    CPPUNIT_TEST(testDuplicateDeliveryRunsHandlerOnceOnMariaDb);
    CPPUNIT_TEST(testDuplicateDeliveryRunsHandlerOnceOnSqlite);
    CPPUNIT_TEST(testMalformedMessagesAreFailedWithReasonAndGoodOnesPass);
    CPPUNIT_TEST(testHandlerFailureRollsBackAndWritesRetryRow);
    CPPUNIT_TEST_SUITE_END();

    struct Inbox {
        std::string exchange = test::uniqueName("inbox_ex");
        std::string queue = test::uniqueName("inbox_q");
        core::Settings settings;
        std::unique_ptr<core::Database> database;
        core::PluginRegistry plugins;
        core::Metrics metrics;
        core::amqp::AmqpPublisher publisher{core::amqp::AmqpUrl::parse(test::amqpUrl())};

        explicit Inbox(const std::string& connector) {
            std::string connection =
                connector == "MySQL" ? test::createMysqlDatabase() : test::createSqliteDatabase();
            auto config = test::configFrom(
                test::baseProperties(connector, connection, exchange,
                                     {{"plugin.orders.library", "liborders-handlers.so"},
                                      {"inbox.consumers", "orders"},
                                      {"inbox.consumer.orders.queue", queue},
                                      {"inbox.consumer.orders.plugins", "orders"},
                                      {"retry.delay_ms", "60000"}}));
            settings = core::Settings::load(*config);
            database = std::make_unique<core::Database>(settings.db);
            core::Schema::apply(*database,
                                {settings.outbox.table, settings.dedupTable, settings.failedTable});
            auto session = database->session();
            *session << "CREATE TABLE order_projection (order_id VARCHAR(64) PRIMARY KEY, "
                        "total DOUBLE NOT NULL, message_id VARCHAR(36) NOT NULL)",
                now;
            plugins.publish(core::PluginLoader(settings, config).load(1));
            test::declareQueue(exchange, queue, "#");
        }
        ~Inbox() {
            plugins.publish(nullptr);
            test::deleteQueueAndExchange(queue, exchange);
        }

        WireMessage encode(const Message& m) { return plugins.current()->serializer->encode(m); }

        void send(const std::vector<WireMessage>& wires) {
            std::vector<core::amqp::OutgoingMessage> out;
            for (std::size_t i = 0; i < wires.size(); ++i)
                out.push_back({i, exchange, "order.placed", wires[i]});
            for (const auto& outcome : publisher.publishBatch(out, std::chrono::seconds(10)))
                CPPUNIT_ASSERT(outcome.result == core::amqp::PublishResult::Confirmed);
        }

        void consume(std::uint64_t deliveries) {
            core::StopSignal stop;
            core::InboxConsumer consumer(*database, plugins, settings, settings.inbox.consumers[0],
                                         metrics, {});
            consumer.run(stop, deliveries);
        }

        int count(const std::string& sql) {
            auto session = database->session();
            int n = -1;
            *session << sql, into(n), now;
            return n;
        }
    };

    static Message order(const std::string& orderId, bool withTotal = true) {
        Message m("order.placed", withTotal ? R"({"orderId":")" + orderId + R"(","total":9.5})"
                                            : R"({"orderId":")" + orderId + R"("})");
        m.setId(Id::generate());
        m.setCreatedAt(1700000000123);
        return m;
    }

    void duplicateRunsOnce(const std::string& connector) {
        Inbox inbox(connector);
        Message x = order("o-1");
        Message y = order("o-2");
        inbox.send({inbox.encode(x), inbox.encode(x), inbox.encode(y)});
        inbox.consume(3);
        CPPUNIT_ASSERT_EQUAL(2, inbox.count("SELECT COUNT(*) FROM order_projection"));
        CPPUNIT_ASSERT_EQUAL(2, inbox.count("SELECT COUNT(*) FROM " + inbox.settings.dedupTable));
        // consume-transform-produce: each handled order published one order.confirmed.
        CPPUNIT_ASSERT_EQUAL(2, inbox.count("SELECT COUNT(*) FROM " + inbox.settings.outbox.table +
                                            " WHERE message_name = 'order.confirmed'"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), inbox.metrics.consumed.load());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), inbox.metrics.deduplicated.load());
    }

public:
    void testDuplicateDeliveryRunsHandlerOnceOnMariaDb() { duplicateRunsOnce("MySQL"); }
    void testDuplicateDeliveryRunsHandlerOnceOnSqlite() { duplicateRunsOnce("SQLite"); }

    void testMalformedMessagesAreFailedWithReasonAndGoodOnesPass() {
        Inbox inbox("SQLite");
        WireMessage notJson = inbox.encode(order("o-bad-1"));
        notJson.body = "{this is not json";
        WireMessage noId = inbox.encode(order("o-bad-2"));
        noId.headers.erase(
            std::remove_if(noId.headers.begin(), noId.headers.end(),
                           [](const FieldEntry& e) { return e.key == "x-message-id"; }),
            noId.headers.end());
        noId.properties.messageId.reset();
        Message unknownName = order("o-bad-3");
        unknownName.setName("order.cancelled");
        WireMessage unknown = inbox.encode(unknownName);
        WireMessage intId = inbox.encode(order("o-bad-4"));
        setField(intId.headers, "x-message-id", FieldValue::ofInt64(42));
        intId.properties.messageId.reset();

        inbox.send({inbox.encode(order("o-1")), notJson, noId, unknown, intId,
                    inbox.encode(order("o-2"))});
        inbox.consume(6);

        CPPUNIT_ASSERT_EQUAL(2, inbox.count("SELECT COUNT(*) FROM order_projection"));
        auto session = inbox.database->session();
        core::FailedStore failed(inbox.database->dialect(), inbox.settings.failedTable);
        auto rows = failed.list(*session, "failed", "", "", 10);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), rows.size());
        std::map<std::string, const core::FailedRecord*> byClass;
        bool sawBody = false, sawId = false, sawName = false, sawType = false;
        for (const auto& r : rows) {
            CPPUNIT_ASSERT_EQUAL(std::string("amqp:orders"), r.source);
            if (r.body == "{this is not json") {
                sawBody = r.errorMessage.find("body") != std::string::npos;
            } else if (r.errorClass == "UnknownMessageName") {
                sawName = r.errorMessage.find("order.cancelled") != std::string::npos;
            } else if (r.errorMessage.find("int") != std::string::npos ||
                       r.errorMessage.find("type") != std::string::npos) {
                sawType = true;
            } else {
                sawId = r.errorMessage.find("id") != std::string::npos;
            }
            CPPUNIT_ASSERT(r.envelopeJson.find("\"headers\"") != std::string::npos);
        }
        CPPUNIT_ASSERT(sawBody);
        CPPUNIT_ASSERT(sawId);
        CPPUNIT_ASSERT(sawName);
        CPPUNIT_ASSERT(sawType);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(4), inbox.metrics.failed.load());
    }

    void testHandlerFailureRollsBackAndWritesRetryRow() {
        Inbox inbox("MySQL");
        inbox.send({inbox.encode(order("o-1", false))}); // no total: the handler throws
        inbox.consume(1);
        CPPUNIT_ASSERT_EQUAL(0, inbox.count("SELECT COUNT(*) FROM order_projection"));
        CPPUNIT_ASSERT_EQUAL(0, inbox.count("SELECT COUNT(*) FROM " + inbox.settings.dedupTable));
        CPPUNIT_ASSERT_EQUAL(0, inbox.count("SELECT COUNT(*) FROM " + inbox.settings.outbox.table));
        auto session = inbox.database->session();
        core::FailedStore failed(inbox.database->dialect(), inbox.settings.failedTable);
        auto rows = failed.list(*session, "retry", "", "", 10);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), rows.size());
        CPPUNIT_ASSERT_EQUAL(1, rows[0].attempts);
        CPPUNIT_ASSERT_EQUAL(std::string("HandlerFailed"), rows[0].errorClass);
        CPPUNIT_ASSERT(rows[0].availableAt > rows[0].createdAt);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(InboxTest);
