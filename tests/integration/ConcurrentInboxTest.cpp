// Several batches in flight per consumer, against real MariaDB, SQLite and RabbitMQ: every
// message runs once, each partition key's messages run in their queue order, and the acks of
// one lane never settle another lane's deliveries (the queue is empty afterwards, and nothing
// comes back).
#include "core/amqp/AmqpPublisher.h"
#include "core/amqp/AmqpUrl.h"
#include "core/config/Settings.h"
#include "core/db/Database.h"
#include "core/inbox/InboxConsumer.h"
#include "core/metrics/Metrics.h"
#include "core/util/StopToken.h"
#include "support/ScratchBus.h"
#include "support/TestEnv.h"

#include <cppunit/extensions/HelperMacros.h>

#include <map>

using namespace msgbus;
using namespace Poco::Data::Keywords;

class ConcurrentInboxTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConcurrentInboxTest);
    CPPUNIT_TEST(testEachKeysMessagesRunInQueueOrderOnMariaDb);
    CPPUNIT_TEST(testEachKeysMessagesRunInQueueOrderOnSqlite);
    CPPUNIT_TEST(testAFailingKeyedMessageLeavesItsNeighboursAndOtherLanesAlone);
    CPPUNIT_TEST_SUITE_END();

    static constexpr int kKeys = 40;
    static constexpr int kPerKey = 25;

    struct Bus : test::ScratchBus {
        core::amqp::AmqpPublisher publisher{core::amqp::AmqpUrl::parse(test::amqpUrl())};

        Bus(const std::string& connector, const std::string& concurrency) : ScratchBus("lanes") {
            const bool mysql = connector == "MySQL";
            open(connector,
                 {{"plugin.flaky.library", "libmsgbus-test-flaky.so"},
                  {"inbox.consumers", "flaky"},
                  {"inbox.consumer.flaky.queue", queue},
                  {"inbox.consumer.flaky.plugins", "flaky"},
                  {"inbox.consumer.flaky.concurrency", concurrency},
                  {"inbox.consumer.flaky.prefetch", "200"},
                  {"inbox.batch_size", "20"},
                  {"retry.delay_ms", "60000"}},
                 "#", [mysql](Poco::Data::Session& session) {
                     // n records the order the effects were committed in.
                     session << (mysql ? "CREATE TABLE flaky_effects (n INT AUTO_INCREMENT "
                                         "PRIMARY KEY, k VARCHAR(64) UNIQUE, attempt INT)"
                                       : "CREATE TABLE flaky_effects (n INTEGER PRIMARY KEY "
                                         "AUTOINCREMENT, k VARCHAR(64) UNIQUE, attempt INT)"),
                         now;
                 });
        }

        /// kPerKey messages for each of kKeys keys, interleaved as a busy producer would send
        /// them, with some messages without a key between them; key "key-<k>" payload key
        /// "<k>:<sequence>". failing: the one "<k>:<sequence>" that always fails.
        void sendInterleaved(const std::string& failing = "") {
            std::vector<core::amqp::OutgoingMessage> out;
            auto add = [&](const std::string& key, const std::optional<std::string>& partition) {
                Message m("test.flaky", R"({"key":")" + key + R"(","failUntil":)" +
                                            (key == failing ? "1000" : "0") + "}");
                m.setId(Id::generate());
                m.setCreatedAt(1700000000000);
                if (partition)
                    m.setPartitionKey(*partition);
                out.push_back(
                    {out.size(), exchange, "test.flaky", plugins.current()->serializer->encode(m)});
            };
            for (int s = 0; s < kPerKey; ++s)
                for (int k = 0; k < kKeys; ++k) {
                    add(std::to_string(k) + ":" + std::to_string(s), "key-" + std::to_string(k));
                    if (k % 10 == 0)
                        add("free:" + std::to_string(s) + ":" + std::to_string(k), std::nullopt);
                }
            for (const auto& outcome : publisher.publishBatch(out, std::chrono::seconds(30)))
                CPPUNIT_ASSERT(outcome.result == core::amqp::PublishResult::Confirmed);
        }

        void consume(std::uint64_t n) {
            core::StopToken stop;
            core::InboxConsumer consumer(
                *database, plugins,
                core::inboxWorkerSettingsOf(settings, settings.inbox.consumers[0]), metrics, {});
            consumer.run(stop, n);
        }

        /// The sequence numbers of each key, in the order their effects were committed.
        std::map<std::string, std::vector<int>> committedOrder() {
            std::vector<std::string> keys;
            auto session = database->session();
            *session << "SELECT k FROM flaky_effects WHERE k NOT LIKE 'free:%' ORDER BY n",
                into(keys), now;
            std::map<std::string, std::vector<int>> order;
            for (const auto& k : keys) {
                const auto colon = k.find(':');
                order[k.substr(0, colon)].push_back(std::stoi(k.substr(colon + 1)));
            }
            return order;
        }
    };

    static constexpr int kTotal = kKeys * kPerKey + 4 * kPerKey;

    static void assertInOrder(Bus& bus, const std::string& skipped) {
        const auto order = bus.committedOrder();
        CPPUNIT_ASSERT_EQUAL(std::size_t(kKeys), order.size());
        for (const auto& [key, sequence] : order)
            for (std::size_t i = 1; i < sequence.size(); ++i)
                CPPUNIT_ASSERT_MESSAGE("key " + key + ": " + std::to_string(sequence[i - 1]) +
                                           " committed before " + std::to_string(sequence[i]) +
                                           " (skipped: '" + skipped + "')",
                                       sequence[i - 1] < sequence[i]);
    }

    static void runInOrder(const std::string& connector) {
        Bus bus(connector, "4");
        bus.sendInterleaved();
        bus.consume(kTotal);
        CPPUNIT_ASSERT_EQUAL(kTotal, bus.count("SELECT COUNT(*) FROM flaky_effects"));
        CPPUNIT_ASSERT_EQUAL(kTotal, bus.count("SELECT COUNT(*) FROM " + bus.settings.dedupTable));
        CPPUNIT_ASSERT_EQUAL(0, bus.count("SELECT COUNT(*) FROM " + bus.settings.failedTable));
        assertInOrder(bus, "");
        // Every delivery was acked, each exactly once: a lost ack would have put it back, a
        // double one would have closed the channel and put back the rest.
        CPPUNIT_ASSERT_EQUAL(0, test::queueDepth(bus.queue));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(kTotal), bus.metrics.consumed.load());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), bus.metrics.deduplicated.load());
    }

public:
    void testEachKeysMessagesRunInQueueOrderOnMariaDb() { runInOrder("MySQL"); }

    void testEachKeysMessagesRunInQueueOrderOnSqlite() { runInOrder("SQLite"); }

    void testAFailingKeyedMessageLeavesItsNeighboursAndOtherLanesAlone() {
        Bus bus("MySQL", "4");
        bus.sendInterleaved("7:3");
        bus.consume(kTotal);
        CPPUNIT_ASSERT_EQUAL(kTotal - 1, bus.count("SELECT COUNT(*) FROM flaky_effects"));
        CPPUNIT_ASSERT_EQUAL(1, bus.count("SELECT COUNT(*) FROM " + bus.settings.failedTable +
                                          " WHERE queue_name = 'retry'"));
        assertInOrder(bus, "7:3");
        CPPUNIT_ASSERT_EQUAL(0, test::queueDepth(bus.queue));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConcurrentInboxTest);
