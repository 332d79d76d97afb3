// "Poison between good messages" for the inbox, against the real MariaDB and RabbitMQ: one bad
// delivery among good ones never stalls its queue. The good neighbours are each handled exactly
// once, the poison ends in the failed (or retry) table with a reason, and the queue ends empty.
#include "core/amqp/AmqpConsumer.h"
#include "core/amqp/AmqpPublisher.h"
#include "core/amqp/AmqpUrl.h"
#include "core/failed/FailedStore.h"
#include "core/failed/StoredEnvelope.h"
#include "core/inbox/InboxConsumer.h"
#include "core/inbox/RetryWorker.h"
#include "core/inbox/UnfinishedRuns.h"
#include "core/util/Clock.h"
#include "core/util/StopToken.h"
#include "support/HostProcess.h"
#include "support/ScratchBus.h"
#include "support/TestEnv.h"

#include <msgbus/internal/Json.h>

#include <cppunit/extensions/HelperMacros.h>

#include <thread>

using namespace msgbus;
using namespace Poco::Data::Keywords;

class PoisonInboxTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PoisonInboxTest);
    CPPUNIT_TEST(testEmptyBodyIsAFailedRowAndNeighboursPass);
    CPPUNIT_TEST(testInvalidUtf8MessageIdIsStoredExactly);
    CPPUNIT_TEST(testBodyBiggerThanTheColumnIsCutAndSaidSo);
    CPPUNIT_TEST(testHeadersNestedTooDeepAreAFailedRow);
    CPPUNIT_TEST(testHandlerTextThatReadsLikeAnOutageIsAHandlerFailure);
    CPPUNIT_TEST(testTransactionRolledBackUnderAHandlerIsFoundAndOnlyItFails);
    CPPUNIT_TEST(testHandlerIsToldWhenItRunsAgain);
    CPPUNIT_TEST(testTheBrokersCountAloneFailsNothing);
    CPPUNIT_TEST(testAtTheQueuesDeliveryLimitAnUnblamedMessageRunsAsARerun);
    CPPUNIT_TEST(testQuorumQueueDeliveryLimitIsNeverReached);
    CPPUNIT_TEST(testConsumerCancelledByTheBrokerSubscribesAgain);
    CPPUNIT_TEST(testHandlerStatementOutlastingTheIoTimeoutFailsAloneAfterRedeliveries);
    CPPUNIT_TEST(testReasonsWithBadBytesAndMultibyteCutsAreStored);
    CPPUNIT_TEST(testOtherConsumersRetryRowsDoNotStarveOwnAndUnreadableOnesFail);
    CPPUNIT_TEST(testRetryRowIsLeasedAndOneLeftRunningByADeadHostFails);
    CPPUNIT_TEST_SUITE_END();

    struct Bus : test::ScratchBus {
        /// amqp.queue.<the bus queue>.* keys, given without that prefix.
        struct QueueKeys {
            std::map<std::string, std::string> keys;
        };

        explicit Bus(const std::map<std::string, std::string>& extra = {},
                     const QueueKeys& queueKeys = {})
            : ScratchBus("poison") {
            std::map<std::string, std::string> properties{
                {"plugin.poison.library", "libmsgbus-test-poison.so"},
                {"inbox.consumers", "poison"},
                {"inbox.consumer.poison.queue", queue},
                {"inbox.consumer.poison.plugins", "poison"},
                {"retry.delay_ms", "60000"}};
            for (const auto& [key, value] : extra)
                properties[key] = value;
            for (const auto& [key, value] : queueKeys.keys)
                properties["amqp.queue." + queue + "." + key] = value;
            open("MySQL", properties, "#", [](Poco::Data::Session& session) {
                session << "CREATE TABLE poison_effects (k VARCHAR(64) PRIMARY KEY, rerun "
                           "INT NOT NULL)",
                    now;
            });
        }

        WireMessage message(const std::string& key, const std::string& mode = "ok") {
            Message m("test.poison", R"({"key":")" + key + R"(","mode":")" + mode + R"("})");
            m.setId(Id::generate());
            return plugins.current()->serializer->encode(m);
        }

        /// Good messages g-0 … g-(n-1) with the poison in the middle.
        std::vector<WireMessage> between(const WireMessage& poison, int good = 10) {
            std::vector<WireMessage> wires;
            for (int i = 0; i < good; ++i) {
                if (i == good / 2)
                    wires.push_back(poison);
                wires.push_back(message("g-" + std::to_string(i)));
            }
            return wires;
        }

        void send(const std::vector<WireMessage>& wires) { ScratchBus::send(wires, "test.poison"); }

        std::vector<core::FailedRecord> rows(const std::string& queueName) {
            auto session = database->session();
            return core::FailedStore(database->dialect(), settings.failedTable)
                .list(*session, queueName, "", "", 100);
        }

        /// Every good neighbour ran exactly once and the queue is empty.
        void assertNeighboursHandledOnce(int good = 10) {
            CPPUNIT_ASSERT_EQUAL(good,
                                 count("SELECT COUNT(*) FROM poison_effects WHERE k LIKE 'g-%'"));
            CPPUNIT_ASSERT_EQUAL(0, test::queueDepth(queue));
        }
    };

    static bool contains(const std::string& text, const std::string& part) {
        return text.find(part) != std::string::npos;
    }

public:
    void testEmptyBodyIsAFailedRowAndNeighboursPass() {
        Bus bus;
        WireMessage empty = bus.message("empty");
        empty.body.clear();
        bus.send(bus.between(empty));
        bus.consume(11);
        bus.assertNeighboursHandledOnce();
        auto failed = bus.rows("failed");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), failed.size());
        CPPUNIT_ASSERT_EQUAL(std::string(""), failed[0].body);
        CPPUNIT_ASSERT_EQUAL(std::string("MalformedMessage"), failed[0].errorClass);
    }

    void testInvalidUtf8MessageIdIsStoredExactly() {
        Bus bus;
        WireMessage poison = bus.message("bad-id");
        const std::string rawId("\xff\xfe\x00id\xc3", 6);
        poison.properties.messageId = rawId;
        poison.headers.erase(
            std::remove_if(poison.headers.begin(), poison.headers.end(),
                           [](const FieldEntry& e) { return e.key == "x-message-id"; }),
            poison.headers.end());
        bus.send(bus.between(poison));
        bus.consume(11);
        bus.assertNeighboursHandledOnce();
        auto failed = bus.rows("failed");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), failed.size());
        CPPUNIT_ASSERT(json::isValidUtf8(failed[0].envelopeJson));
        // The stored headers give back the very bytes that arrived.
        WireMessage stored = core::envelopeFromJson(failed[0].envelopeJson, failed[0].body);
        CPPUNIT_ASSERT(stored.properties.messageId == rawId);
    }

    void testBodyBiggerThanTheColumnIsCutAndSaidSo() {
        Bus bus;
        WireMessage poison = bus.message("huge");
        const std::size_t size = 17 * 1024 * 1024; // over MEDIUMBLOB and the default packet
        poison.body = std::string(size, 'x');      // not JSON: a malformed message
        bus.send(bus.between(poison));
        bus.consume(11);
        bus.assertNeighboursHandledOnce();
        auto failed = bus.rows("failed");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), failed.size());
        CPPUNIT_ASSERT(failed[0].body.size() < size);
        CPPUNIT_ASSERT(failed[0].body.size() > 1024 * 1024);
        CPPUNIT_ASSERT(contains(failed[0].errorMessage, "body cut"));
        CPPUNIT_ASSERT(contains(failed[0].errorMessage, std::to_string(size)));
    }

    void testHeadersNestedTooDeepAreAFailedRow() {
        Bus bus;
        WireMessage poison = bus.message("deep");
        FieldValue nested = FieldValue::ofString("bottom");
        for (int level = 0; level < 200; ++level) {
            FieldValue table;
            table.kind = FieldKind::Table;
            table.table.push_back({"n", std::move(nested)});
            nested = std::move(table);
        }
        poison.headers.push_back({"x-deep", std::move(nested)});
        bus.send(bus.between(poison));
        bus.consume(11);
        bus.assertNeighboursHandledOnce();
        auto failed = bus.rows("failed");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), failed.size());
        CPPUNIT_ASSERT_EQUAL(std::string("UndecodableDelivery"), failed[0].errorClass);
        CPPUNIT_ASSERT(contains(failed[0].errorMessage, "nested"));
        CPPUNIT_ASSERT(contains(failed[0].body, "deep")); // the body is kept
    }

    void testHandlerTextThatReadsLikeAnOutageIsAHandlerFailure() {
        Bus bus;
        bus.send(bus.between(bus.message("liar", "lie")));
        bus.consume(11);
        bus.assertNeighboursHandledOnce();
        auto retry = bus.rows("retry");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), retry.size());
        CPPUNIT_ASSERT_EQUAL(std::string("HandlerFailed"), retry[0].errorClass);
        CPPUNIT_ASSERT(contains(retry[0].errorMessage, "payment API"));
    }

    void testTransactionRolledBackUnderAHandlerIsFoundAndOnlyItFails() {
        Bus bus;
        bus.send(bus.between(bus.message("swallower", "rollback")));
        bus.consume(11);
        bus.assertNeighboursHandledOnce();
        // No dedup row without its effect, none for the poison, and nothing of what it wrote
        // after the rollback (that landed in a transaction of its own, rolled back too).
        CPPUNIT_ASSERT_EQUAL(10, bus.count("SELECT COUNT(*) FROM " + bus.settings.dedupTable));
        CPPUNIT_ASSERT_EQUAL(0, bus.count("SELECT COUNT(*) FROM poison_effects WHERE k = "
                                          "'swallower'"));
        auto retry = bus.rows("retry");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), retry.size());
        CPPUNIT_ASSERT_EQUAL(std::string("TransactionFailed"), retry[0].errorClass);
        CPPUNIT_ASSERT(contains(retry[0].errorMessage, "rolled back"));
    }

    void testHandlerIsToldWhenItRunsAgain() {
        Bus bus;
        bus.send({bus.message("before"), bus.message("failing", "fail"), bus.message("after")});
        bus.consume(3);
        // The batch ran without savepoints first; the failure made every handler run again.
        CPPUNIT_ASSERT_EQUAL(1, bus.count("SELECT rerun FROM poison_effects WHERE k = 'before'"));
        CPPUNIT_ASSERT_EQUAL(2, bus.count("SELECT COUNT(*) FROM poison_effects"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), bus.rows("retry").size());
    }

    void testTheBrokersCountAloneFailsNothing() {
        Bus bus;
        WireMessage looper = bus.message("looper");
        // What a quorum queue adds to a message it delivered 25 times before (on any host). It
        // counts outages, lost connections and shutdowns too, none of them the message's fault:
        // with nothing else against it the message runs.
        setField(looper.headers, "x-delivery-count", FieldValue::ofInt64(25));
        bus.send({looper});
        {
            // One delivery that goes back unsettled: the broker marks it redelivered.
            core::amqp::AmqpConsumer::Options options;
            options.queue = bus.queue;
            options.prefetch = 10;
            core::amqp::AmqpConsumer raw(core::amqp::AmqpUrl::parse(test::amqpUrl()), options);
            raw.connect();
            auto delivery = raw.next(std::chrono::seconds(10));
            CPPUNIT_ASSERT(delivery);
            raw.nack(delivery->deliveryTag, false, true, delivery->connectionEpoch);
        }
        std::vector<WireMessage> good;
        for (int i = 0; i < 10; ++i)
            good.push_back(bus.message("g-" + std::to_string(i)));
        bus.send(good);
        bus.consume(11);
        bus.assertNeighboursHandledOnce();
        CPPUNIT_ASSERT_EQUAL(1,
                             bus.count("SELECT COUNT(*) FROM poison_effects WHERE k = 'looper'"));
        CPPUNIT_ASSERT(bus.rows("failed").empty());
        CPPUNIT_ASSERT(bus.rows("retry").empty());
    }

    /// Puts the message on the queue and has it given back twice by consumers that go away
    /// without settling it (as hosts that stop would): a quorum queue counts two returns.
    static void returnedTwice(Bus& bus, const WireMessage& message) {
        bus.send({message});
        for (int giveBack = 0; giveBack < 2; ++giveBack) {
            // A nack while still consuming would have it delivered again at once, and returned
            // once more by the close.
            core::amqp::AmqpConsumer::Options options;
            options.queue = bus.queue;
            options.prefetch = 1;
            core::amqp::AmqpConsumer raw(core::amqp::AmqpUrl::parse(test::amqpUrl()), options);
            raw.connect();
            auto delivery = raw.next(std::chrono::seconds(10));
            CPPUNIT_ASSERT(delivery);
            CPPUNIT_ASSERT_EQUAL(std::int64_t(giveBack), delivery->deliveryCount.value_or(0));
        }
    }

    void testAtTheQueuesDeliveryLimitAnUnblamedMessageRunsAsARerun() {
        // A quorum queue with x-delivery-limit 2 drops a message given back a third time. Two
        // returns that nothing blames on the message (hosts that stopped): it runs, and its
        // handler is told it may have run before.
        Bus bus({}, Bus::QueueKeys{{{"type", "quorum"}, {"argument.x-delivery-limit", "2"}}});
        returnedTwice(bus, bus.message("looper"));
        std::vector<WireMessage> good;
        for (int i = 0; i < 10; ++i)
            good.push_back(bus.message("g-" + std::to_string(i)));
        bus.send(good);
        bus.consume(11);
        bus.assertNeighboursHandledOnce();
        CPPUNIT_ASSERT_EQUAL(1, bus.count("SELECT rerun FROM poison_effects WHERE k = 'looper'"));
        CPPUNIT_ASSERT(bus.rows("failed").empty());
        CPPUNIT_ASSERT_EQUAL(0, test::queueDepth(bus.queue));
    }

    void testQuorumQueueDeliveryLimitIsNeverReached() {
        // The same, but a host died running it (a run recorded that never ended): given back
        // once more the queue would drop it, so the inbox stores it as failed first, body and
        // all, however few redeliveries this host saw.
        Bus bus({}, Bus::QueueKeys{{{"type", "quorum"}, {"argument.x-delivery-limit", "2"}}});
        const WireMessage looper = bus.message("looper");
        {
            auto session = bus.database->session();
            core::UnfinishedRuns(bus.database->dialect(), bus.settings.dedupTable, "poison")
                .begin(*session,
                       {core::UnfinishedRuns::keyOf("id:" + looper.header("x-message-id")->text)});
        }
        returnedTwice(bus, looper);
        std::vector<WireMessage> good;
        for (int i = 0; i < 10; ++i)
            good.push_back(bus.message("g-" + std::to_string(i)));
        bus.send(good);
        bus.consume(11);
        bus.assertNeighboursHandledOnce();
        CPPUNIT_ASSERT_EQUAL(0,
                             bus.count("SELECT COUNT(*) FROM poison_effects WHERE k = 'looper'"));
        auto failed = bus.rows("failed");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), failed.size());
        CPPUNIT_ASSERT_EQUAL(std::string("RedeliveryLimit"), failed[0].errorClass);
        CPPUNIT_ASSERT(contains(failed[0].errorMessage, "x-delivery-limit (2)"));
        CPPUNIT_ASSERT(contains(failed[0].body, "looper"));
        CPPUNIT_ASSERT_EQUAL(0, test::queueDepth(bus.queue));
    }

    void testConsumerCancelledByTheBrokerSubscribesAgain() {
        // The broker cancels a consumer whose queue is deleted (or whose quorum queue's leader
        // moved away): the inbox consumer must subscribe again once it can, not hang.
        Bus bus;
        core::StopToken stop;
        std::thread worker([&] {
            core::InboxConsumer consumer(
                *bus.database, bus.plugins,
                core::inboxWorkerSettingsOf(bus.settings, bus.settings.inbox.consumers.at(0)),
                bus.metrics, {});
            consumer.run(stop);
        });
        auto effects = [&] { return bus.count("SELECT COUNT(*) FROM poison_effects"); };
        std::vector<WireMessage> before, after;
        for (int i = 0; i < 5; ++i) {
            before.push_back(bus.message("before-" + std::to_string(i)));
            after.push_back(bus.message("after-" + std::to_string(i)));
        }
        bus.send(before);
        const bool first =
            test::waitUntil([&] { return effects() == 5; }, std::chrono::seconds(30));
        test::deleteQueueAndExchange(bus.queue, ""); // basic.cancel to the consumer
        test::declareQueue(bus.exchange, bus.queue, "#");
        bus.send(after);
        const bool second =
            test::waitUntil([&] { return effects() == 10; }, std::chrono::seconds(60));
        stop.requestStop();
        worker.join();
        CPPUNIT_ASSERT(first);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(effects()) + " effects", second);
    }

    void testHandlerStatementOutlastingTheIoTimeoutFailsAloneAfterRedeliveries() {
        // The statement loses the connection (error 2013): the batch cannot commit, and goes
        // back to the broker. Only the slow message's redeliveries count; after
        // inbox.max_redeliveries it is a failed row and its neighbours commit.
        Bus bus({{"db.io_timeout_ms", "1000"}, {"inbox.max_redeliveries", "2"}});
        bus.send(bus.between(bus.message("slow", "slow"), 4));
        bus.consume(5);
        bus.assertNeighboursHandledOnce(4);
        auto failed = bus.rows("failed");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), failed.size());
        CPPUNIT_ASSERT_EQUAL(std::string("RedeliveryLimit"), failed[0].errorClass);
        CPPUNIT_ASSERT_MESSAGE(failed[0].errorMessage,
                               contains(failed[0].errorMessage, "Lost connection") ||
                                   contains(failed[0].errorMessage, "gone away"));
    }

    void testReasonsWithBadBytesAndMultibyteCutsAreStored() {
        Bus bus;
        core::FailedRecord record;
        record.source = "amqp:poison";
        record.messageName = "test.poison";
        record.envelopeJson = "{}";
        record.errorClass = std::string(300, 'E');
        // 7,999 bytes, then a two-byte character across the 8,000-byte limit, then bad bytes.
        record.errorMessage = std::string(7999, 'r') + "\xc3\xa9" + "\xff\xfe tail";
        record.body = std::string("\x00\x01", 2);
        auto session = bus.database->session();
        core::FailedStore store(bus.database->dialect(), bus.settings.failedTable);
        const auto id = store.insert(*session, record);
        auto stored = store.find(*session, id);
        CPPUNIT_ASSERT(stored);
        CPPUNIT_ASSERT(json::isValidUtf8(stored->errorMessage));
        CPPUNIT_ASSERT(stored->errorMessage.size() <= 8000);
        CPPUNIT_ASSERT(contains(stored->errorMessage, "[cut:"));
        CPPUNIT_ASSERT(stored->errorClass.size() <= 255);
        CPPUNIT_ASSERT(stored->body == record.body);
    }

    void testOtherConsumersRetryRowsDoNotStarveOwnAndUnreadableOnesFail() {
        Bus bus;
        auto session = bus.database->session();
        core::FailedStore store(bus.database->dialect(), bus.settings.failedTable);
        const std::int64_t due = core::nowMillis() - 1000;
        core::FailedRecord other;
        other.queueName = "retry";
        other.source = "amqp:someone-else";
        other.envelopeJson = "{}";
        other.errorClass = "HandlerFailed";
        other.createdAt = other.availableAt = due - 1000; // older: first in line
        for (int i = 0; i < 150; ++i)
            store.insert(*session, other);
        core::FailedRecord unreadable = other;
        unreadable.source = "amqp:poison";
        unreadable.envelopeJson = "{not json";
        store.insert(*session, unreadable);
        core::FailedRecord own = other;
        own.source = "amqp:poison";
        own.availableAt = due;
        own.envelopeJson = core::envelopeToJson(bus.message("retried"));
        own.body = bus.message("retried").body;
        store.insert(*session, own);

        core::RetryWorker worker(*bus.database, bus.plugins,
                                 core::retryWorkerSettingsOf(bus.settings), bus.metrics, {});
        worker.retryDue();
        CPPUNIT_ASSERT_EQUAL(1,
                             bus.count("SELECT COUNT(*) FROM poison_effects WHERE k = 'retried'"));
        auto failed = bus.rows("failed");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), failed.size());
        CPPUNIT_ASSERT_EQUAL(std::string("UnreadableRetryRow"), failed[0].errorClass);
        CPPUNIT_ASSERT_EQUAL(150, bus.count("SELECT COUNT(*) FROM " + bus.settings.failedTable +
                                            " WHERE source = 'amqp:someone-else'"));
    }

    void testRetryRowIsLeasedAndOneLeftRunningByADeadHostFails() {
        Bus bus;
        auto session = bus.database->session();
        core::FailedStore store(bus.database->dialect(), bus.settings.failedTable);
        const int maxRetries = bus.settings.retry.maxRetries;
        auto retryRow = [&](const std::string& key, const std::string& queue, int attempts) {
            core::FailedRecord row;
            row.queueName = queue;
            row.source = "amqp:poison";
            row.errorClass = "HandlerFailed";
            row.errorMessage = "first failure";
            row.attempts = attempts;
            row.createdAt = row.availableAt = core::nowMillis() - 1000;
            row.envelopeJson = core::envelopeToJson(bus.message(key));
            row.body = bus.message(key).body;
            return store.insert(*session, row);
        };
        // A dead host's lease of the last allowed attempt: counted, "running", never settled.
        const auto abandoned = retryRow("killer", "running", maxRetries + 1);
        // A dead host's lease of an earlier attempt: run again, with one attempt more.
        const auto interrupted = retryRow("interrupted", "running", 1);
        const auto healthy = retryRow("healthy", "retry", 1);
        // Past a retry.max_retries lowered since: it still gets the run it was due.
        const auto lowered = retryRow("lowered", "retry", maxRetries + 2);

        // A lease taken on stale attempts is refused: the row is not this host's to run.
        CPPUNIT_ASSERT(!store.lease(*session, healthy, "retry", 0, core::nowMillis(), "test:1"));
        core::RetryWorker worker(*bus.database, bus.plugins,
                                 core::retryWorkerSettingsOf(bus.settings), bus.metrics, {});
        CPPUNIT_ASSERT_EQUAL(4, worker.retryDue());
        for (const char* key : {"healthy", "interrupted", "lowered"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(key, 1,
                                         bus.count(std::string("SELECT COUNT(*) FROM "
                                                               "poison_effects WHERE k = '") +
                                                   key + "'"));
        CPPUNIT_ASSERT_EQUAL(0,
                             bus.count("SELECT COUNT(*) FROM poison_effects WHERE k = 'killer'"));
        auto row = store.find(*session, abandoned);
        CPPUNIT_ASSERT(row);
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), row->queueName);
        CPPUNIT_ASSERT_EQUAL(std::string("RedeliveryLimit"), row->errorClass);
        CPPUNIT_ASSERT(contains(row->errorMessage, "never ended"));
        CPPUNIT_ASSERT(contains(row->errorMessage, "first failure"));
        for (auto id : {healthy, interrupted, lowered})
            CPPUNIT_ASSERT(!store.find(*session, id));

        // A leased row is not due: a second worker does not run it meanwhile; given back
        // unrun, it is due at once with its attempts as before.
        const auto leased = retryRow("leased", "retry", 1);
        CPPUNIT_ASSERT(
            store.lease(*session, leased, "retry", 1, core::nowMillis() + 60000, "test:1"));
        CPPUNIT_ASSERT_EQUAL(0, worker.retryDue());
        CPPUNIT_ASSERT_EQUAL(2, store.find(*session, leased)->attempts);
        CPPUNIT_ASSERT_EQUAL(std::string("running"), store.find(*session, leased)->queueName);
        CPPUNIT_ASSERT(store.unlease(*session, leased, 2));
        CPPUNIT_ASSERT_EQUAL(1, store.find(*session, leased)->attempts);
        CPPUNIT_ASSERT_EQUAL(1, worker.retryDue());
        CPPUNIT_ASSERT_EQUAL(1,
                             bus.count("SELECT COUNT(*) FROM poison_effects WHERE k = 'leased'"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PoisonInboxTest);
