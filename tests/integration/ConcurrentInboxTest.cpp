// Several batches in flight per consumer, against real MariaDB, SQLite and RabbitMQ: every
// message runs once, each partition key's messages run in their queue order, and the acks of
// one lane never settle another lane's deliveries (the queue is empty afterwards, and nothing
// comes back).
#include "core/inbox/LaneRouter.h"
#include "support/FlakyBus.h"
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
    CPPUNIT_TEST(testLanesTakingRowsInOppositeOrdersDeadlockAndEachMessageRunsOnce);
    CPPUNIT_TEST_SUITE_END();

    static constexpr int kKeys = 40;
    static constexpr int kPerKey = 25;

    struct Bus : test::FlakyBus {
        Bus(const std::string& connector, const std::string& concurrency)
            : FlakyBus("lanes", connector,
                       {{"inbox.consumer.flaky.concurrency", concurrency},
                        {"inbox.consumer.flaky.prefetch", "200"},
                        {"inbox.batch_size", "20"},
                        {"retry.delay_ms", "60000"}},
                       true) {}

        /// kPerKey messages for each of kKeys keys, interleaved as a busy producer would send
        /// them, with some messages without a key between them; key "key-<k>" payload key
        /// "<k>:<sequence>". failing: the one "<k>:<sequence>" that always fails.
        void sendInterleaved(const std::string& failing = "") {
            std::vector<Flaky> out;
            auto add = [&](const std::string& key, const std::optional<std::string>& partition) {
                out.push_back({key, key == failing ? 1000 : 0, partition});
            };
            for (int s = 0; s < kPerKey; ++s)
                for (int k = 0; k < kKeys; ++k) {
                    add(std::to_string(k) + ":" + std::to_string(s), "key-" + std::to_string(k));
                    if (k % 10 == 0)
                        add("free:" + std::to_string(s) + ":" + std::to_string(k), std::nullopt);
                }
            sendFlaky(out);
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

    void testLanesTakingRowsInOppositeOrdersDeadlockAndEachMessageRunsOnce() {
        // Two keys on the two lanes: one lane's batches update row 1 then row 2, the other's
        // row 2 then row 1, each holding both until its commit. When one lane commits, the
        // other takes its first row while the first starts its next batch on the other row:
        // a deadlock at (nearly) every batch boundary. The loser committed nothing and runs
        // its batch again; nothing may go to the retry rows, nothing may run twice.
        test::FlakyBus bus("deadlock", "MySQL",
                           {{"inbox.consumer.flaky.concurrency", "2"},
                            {"inbox.consumer.flaky.prefetch", "200"},
                            {"inbox.batch_size", "5"}});
        const core::LaneRouter router(2, 1);
        const std::string up = "up";
        std::string down = "down";
        for (int i = 0; router.laneOfKey(down) == router.laneOfKey(up); ++i)
            down = "down" + std::to_string(i);
        constexpr int kEach = 30;
        std::vector<test::FlakyBus::LockOrder> out;
        for (int i = 0; i < kEach; ++i) {
            out.push_back({"up:" + std::to_string(i), {1, 2}, 10, up});
            out.push_back({"down:" + std::to_string(i), {2, 1}, 10, down});
        }
        bus.sendLockOrder(out);
        bus.consume(2 * kEach);
        CPPUNIT_ASSERT_EQUAL(2 * kEach, bus.count("SELECT COUNT(*) FROM flaky_effects"));
        CPPUNIT_ASSERT_EQUAL(2 * kEach, bus.count("SELECT n FROM lock_rows WHERE id = 1"));
        CPPUNIT_ASSERT_EQUAL(2 * kEach, bus.count("SELECT n FROM lock_rows WHERE id = 2"));
        CPPUNIT_ASSERT_EQUAL(2 * kEach,
                             bus.count("SELECT COUNT(*) FROM " + bus.settings.dedupTable));
        CPPUNIT_ASSERT_EQUAL(0, bus.count("SELECT COUNT(*) FROM " + bus.settings.failedTable));
        CPPUNIT_ASSERT_EQUAL(0, test::queueDepth(bus.queue));
        CPPUNIT_ASSERT(bus.metrics.lockConflictReruns.value("flaky") > 0);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConcurrentInboxTest);
