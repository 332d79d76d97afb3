// The inbox against real MariaDB/SQLite and RabbitMQ, with the orders sample plugin as the
// handler: duplicates run once, bad input lands in the failed table and the consumer goes on,
// a failing handler leaves a retry row.
#include "core/amqp/AmqpPublisher.h"
#include "core/amqp/AmqpUrl.h"
#include "core/config/Settings.h"
#include "core/db/Database.h"
#include "core/failed/FailedStore.h"
#include "core/failed/StoredEnvelope.h"
#include "core/inbox/InboxConsumer.h"
#include "core/inbox/MessageProcessor.h"
#include "core/metrics/Metrics.h"
#include "core/util/StopToken.h"
#include "support/ScratchBus.h"
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
    CPPUNIT_TEST(testRepublishedCopyAmongFirstDeliveriesRunsOnceOnMariaDb);
    CPPUNIT_TEST(testRepublishedCopyAmongFirstDeliveriesRunsOnceOnSqlite);
    CPPUNIT_TEST(testMalformedMessagesAreFailedWithReasonAndGoodOnesPass);
    CPPUNIT_TEST(testHandlerFailureRollsBackAndWritesRetryRow);
    CPPUNIT_TEST(testEveryMalformedClassIsFailedByteForByteAndNamed);
    CPPUNIT_TEST(testThreeConsumersOfTheSameIdsEachRunOnce);
    CPPUNIT_TEST_SUITE_END();

    struct Inbox : test::ScratchBus {
        explicit Inbox(const std::string& connector) : ScratchBus("inbox") {
            open(connector,
                 {{"plugin.orders.library", "liborders-handlers.so"},
                  {"inbox.consumers", "orders"},
                  {"inbox.consumer.orders.queue", queue},
                  {"inbox.consumer.orders.plugins", "orders"},
                  {"retry.delay_ms", "60000"}},
                 "#", [](Poco::Data::Session& session) {
                     session << "CREATE TABLE order_projection (order_id VARCHAR(64) PRIMARY "
                                "KEY, total DOUBLE NOT NULL, message_id VARCHAR(36) NOT NULL)",
                         now;
                 });
        }

        WireMessage encode(const Message& m) { return plugins.current()->serializer->encode(m); }
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
        inbox.send({inbox.encode(x), inbox.encode(x), inbox.encode(y)}, "order.placed");
        inbox.consume(3);
        CPPUNIT_ASSERT_EQUAL(2, inbox.count("SELECT COUNT(*) FROM order_projection"));
        CPPUNIT_ASSERT_EQUAL(2, inbox.count("SELECT COUNT(*) FROM " + inbox.settings.dedupTable));
        // consume-transform-produce: each handled order published one order.confirmed.
        CPPUNIT_ASSERT_EQUAL(2, inbox.count("SELECT COUNT(*) FROM " + inbox.settings.outbox.table +
                                            " WHERE message_name = 'order.confirmed'"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), inbox.metrics.consumed.load());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), inbox.metrics.deduplicated.load());
    }

    // A relay that died between the broker's confirm and its DELETE publishes the rows again:
    // the broker delivers those copies as first deliveries (not flagged redelivered), in a
    // later batch than the originals, between new messages. A batch of first deliveries does
    // not look its ids up beforehand; the dedup insert catches the copy.
    void republishedCopyRunsOnce(const std::string& connector) {
        Inbox inbox(connector);
        Message x = order("o-1");
        inbox.send({inbox.encode(x), inbox.encode(order("o-2"))}, "order.placed");
        inbox.consume(2);
        inbox.send({inbox.encode(order("o-3")), inbox.encode(x), inbox.encode(order("o-4"))},
                   "order.placed");
        inbox.consume(3);
        CPPUNIT_ASSERT_EQUAL(4, inbox.count("SELECT COUNT(*) FROM order_projection"));
        CPPUNIT_ASSERT_EQUAL(4, inbox.count("SELECT COUNT(*) FROM " + inbox.settings.dedupTable));
        CPPUNIT_ASSERT_EQUAL(4, inbox.count("SELECT COUNT(*) FROM " + inbox.settings.outbox.table +
                                            " WHERE message_name = 'order.confirmed'"));
        CPPUNIT_ASSERT_EQUAL(0, inbox.count("SELECT COUNT(*) FROM " + inbox.settings.failedTable));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(4), inbox.metrics.consumed.load());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), inbox.metrics.deduplicated.load());
    }

public:
    void testDuplicateDeliveryRunsHandlerOnceOnMariaDb() { duplicateRunsOnce("MySQL"); }
    void testDuplicateDeliveryRunsHandlerOnceOnSqlite() { duplicateRunsOnce("SQLite"); }
    void testRepublishedCopyAmongFirstDeliveriesRunsOnceOnMariaDb() {
        republishedCopyRunsOnce("MySQL");
    }
    void testRepublishedCopyAmongFirstDeliveriesRunsOnceOnSqlite() {
        republishedCopyRunsOnce("SQLite");
    }

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

        inbox.send(
            {inbox.encode(order("o-1")), notJson, noId, unknown, intId, inbox.encode(order("o-2"))},
            "order.placed");
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
        inbox.send({inbox.encode(order("o-1", false))}, "order.placed"); // the handler throws
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

    void testEveryMalformedClassIsFailedByteForByteAndNamed() {
        Inbox inbox("MySQL");
        struct Case {
            std::string expect; // a part of the reason
            WireMessage wire;
        };
        std::vector<Case> cases;
        auto base = [&] { return inbox.encode(order("o-" + std::to_string(cases.size()))); };
        auto withHeader = [&](const std::string& key, FieldValue value) {
            WireMessage w = base();
            setField(w.headers, key, std::move(value));
            return w;
        };
        {
            WireMessage w = withHeader("x-message-id", FieldValue::ofString("not-a-uuid"));
            w.properties.messageId.reset();
            cases.push_back({"not-a-uuid", w});
        }
        {
            WireMessage w = withHeader(
                "x-message-id", FieldValue::ofString("00000000-0000-0000-0000-000000000000"));
            w.properties.messageId.reset();
            cases.push_back({"NIL", w});
        }
        {
            WireMessage w = withHeader("x-message-name", FieldValue::ofString("Order Placed!"));
            w.properties.type.reset();
            cases.push_back({"Order Placed!", w});
        }
        {
            WireMessage w = base();
            w.headers.erase(
                std::remove_if(w.headers.begin(), w.headers.end(),
                               [](const FieldEntry& e) { return e.key == "x-message-name"; }),
                w.headers.end());
            w.properties.type.reset();
            cases.push_back({"name", w});
        }
        {
            WireMessage w = base();
            w.body = "[1,2,3]";
            cases.push_back({"object", w});
        }
        {
            WireMessage w = base();
            w.body = std::string("{\"orderId\":\"\xc3\x28\"}", 16);
            cases.push_back({"UTF-8", w});
        }
        {
            WireMessage w = base();
            w.body = R"({"orderId":")" + std::string(2 * 1024 * 1024, 'x') + "\"}";
            cases.push_back({"bytes", w});
        }
        {
            WireMessage w = withHeader("x-created-at", FieldValue::ofString("yesterday"));
            cases.push_back({"x-created-at", w});
        }
        std::vector<WireMessage> wires{inbox.encode(order("good-1"))};
        for (const auto& c : cases)
            wires.push_back(c.wire);
        wires.push_back(inbox.encode(order("good-2")));
        inbox.send(wires, "order.placed");
        inbox.consume(wires.size());

        CPPUNIT_ASSERT_EQUAL(2, inbox.count("SELECT COUNT(*) FROM order_projection"));
        auto session = inbox.database->session();
        core::FailedStore failed(inbox.database->dialect(), inbox.settings.failedTable);
        auto rows = failed.list(*session, "failed", "", "", 100);
        CPPUNIT_ASSERT_EQUAL(cases.size(), rows.size());
        for (const auto& c : cases) {
            auto row = std::find_if(rows.begin(), rows.end(), [&](const core::FailedRecord& r) {
                return r.body == c.wire.body && r.errorMessage.find(c.expect) != std::string::npos;
            });
            CPPUNIT_ASSERT_MESSAGE("no failed row naming '" + c.expect + "'", row != rows.end());
            CPPUNIT_ASSERT_EQUAL(std::string("MalformedMessage"), row->errorClass);
            // The stored envelope re-creates the headers exactly.
            WireMessage stored = core::envelopeFromJson(row->envelopeJson, row->body);
            CPPUNIT_ASSERT(stored.headers == c.wire.headers);
        }
    }

    void testThreeConsumersOfTheSameIdsEachRunOnce() {
        Inbox inbox("MySQL");
        // The same 100 messages reach three consumers (three queues fanned out from one
        // exchange in production; here the same dedup table with three consumer names).
        std::vector<WireMessage> wires;
        for (int i = 0; i < 100; ++i)
            wires.push_back(inbox.encode(order("fan-" + std::to_string(i))));
        auto session = inbox.database->session();
        *session << "CREATE TABLE fan_effects (consumer VARCHAR(64), order_id VARCHAR(64), "
                    "PRIMARY KEY (consumer, order_id))",
            now;
        for (const std::string consumer : {"alpha", "beta", "gamma"}) {
            core::MessageProcessor processor(
                *inbox.database, core::pipelineSettingsOf(inbox.settings), inbox.metrics, consumer);
            core::PluginSet plugins = *inbox.plugins.current();
            // Route the consumer's name to the orders handler.
            plugins.dispatch[consumer] = plugins.dispatch["orders"];
            std::vector<core::InboxItem> items;
            for (const auto& w : wires)
                items.push_back({&w, 1, 0});
            // Each consumer gets every message twice (a redelivery of the whole batch).
            for (int round = 0; round < 2; ++round) {
                *session << "DELETE FROM order_projection", now;
                processor.processBatch(plugins, items);
            }
        }
        CPPUNIT_ASSERT_EQUAL(300, inbox.count("SELECT COUNT(*) FROM " + inbox.settings.dedupTable));
        CPPUNIT_ASSERT_EQUAL(
            3, inbox.count("SELECT COUNT(DISTINCT consumer) FROM " + inbox.settings.dedupTable));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(300), inbox.metrics.consumed.load());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(300), inbox.metrics.deduplicated.load());
        // Each consumer's handler published its order.confirmed once per message.
        CPPUNIT_ASSERT_EQUAL(300,
                             inbox.count("SELECT COUNT(*) FROM " + inbox.settings.outbox.table));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(InboxTest);
