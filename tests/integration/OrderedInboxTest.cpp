// Ordered consumption (inbox.consumer.<c>.ordered) against the real MariaDB, RabbitMQ and
// SQLite: a key's later messages park behind its failed message and run after it, in publish
// order, exactly once; other keys never wait. Effects are numbered in commit order
// (flaky_effects.n) and named "<partition key>-<sequence number>", so a test reads each key's
// order off the table.
#include "core/console/HeadRedirect.h"
#include "core/failed/FailedStore.h"
#include "core/inbox/RetryWorker.h"
#include "core/inbox/SequenceStore.h"
#include "support/FlakyBus.h"
#include "support/TestEnv.h"

#include <msgbus/Id.h>
#include <msgbus/Message.h>

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <map>
#include <thread>

using namespace msgbus;
using namespace Poco::Data::Keywords;

class OrderedInboxTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OrderedInboxTest);
    CPPUNIT_TEST(testSameBatchParksBehindTheHeadAndRunsInOrderOnMariaDb);
    CPPUNIT_TEST(testSameBatchParksBehindTheHeadAndRunsInOrderOnSqlite);
    CPPUNIT_TEST(testSeparateBatchesParkBehindTheHeadOnMariaDb);
    CPPUNIT_TEST(testSeparateBatchesParkBehindTheHeadOnSqlite);
    CPPUNIT_TEST(testParkedMessageFailingOnReleaseBecomesTheHead);
    CPPUNIT_TEST(testRedeliveredParkedMessageIsADuplicate);
    CPPUNIT_TEST(testPoisonBetweenGoodMessagesOfAnOrderedConsumer);
    CPPUNIT_TEST(testUnorderedConsumerDoesNotPark);
    CPPUNIT_TEST(testFailedHeadIsReleasedBySkipAndByRemove);
    CPPUNIT_TEST(testLostStatementOnReleaseDoesNotHoldOtherKeys);
    CPPUNIT_TEST(testReleaseUnderAHandlerThatSwallowsARollbackDoesNotCommit);
    CPPUNIT_TEST(testRedeliveredHeadIsADuplicateNotParkedBehindItself);
    CPPUNIT_TEST(testALaterFailureKeepsTheHeadOnMariaDb);
    CPPUNIT_TEST(testALaterFailureKeepsTheHeadOnSqlite);
    CPPUNIT_TEST(testHeadIsNotRedirectedAndParkedReleaseFreesItsKey);
    CPPUNIT_TEST(testParkedKeysOutliveTurningOrderedOff);
    CPPUNIT_TEST(testParkingOutlivesDedupRetentionOnMariaDb);
    CPPUNIT_TEST(testParkingOutlivesDedupRetentionOnSqlite);
    CPPUNIT_TEST_SUITE_END();

    struct Bus : test::FlakyBus {
        Bus(const std::string& connector, bool ordered = true, int maxRetries = 3)
            : FlakyBus("ordered", connector,
                       {{"inbox.consumer.flaky.ordered", ordered ? "true" : "false"},
                        {"retry.max_retries", std::to_string(maxRetries)},
                        {"retry.delay_ms", "20"},
                        {"retry.multiplier", "1"}},
                       true) {}

        /// One message per entry: "<key>-<n>", failing its first failUntil attempts.
        void sendKeyed(const std::vector<std::tuple<std::string, int, int>>& messages) {
            std::vector<Flaky> flaky;
            for (const auto& [key, n, failUntil] : messages)
                flaky.push_back({key + "-" + std::to_string(n), failUntil, key});
            sendFlaky(flaky);
        }

        int parked() { return count("SELECT COUNT(*) FROM " + settings.dedupTable + "_parked"); }
        int sequences() {
            return count("SELECT COUNT(*) FROM " + settings.dedupTable + "_sequences");
        }
        int rows(const std::string& queue) {
            return count("SELECT COUNT(*) FROM " + settings.failedTable + " WHERE queue_name = '" +
                         queue + "'");
        }
        int effects() { return count("SELECT COUNT(*) FROM flaky_effects"); }
        /// A test.flaky message with a fresh id: "<key>-<n>" of partition key key.
        Message keyed(const std::string& key, int n, int failUntil, const std::string& extra = "") {
            Message m("test.flaky", "{\"key\":\"" + key + "-" + std::to_string(n) +
                                        "\",\"failUntil\":" + std::to_string(failUntil) + extra +
                                        "}");
            m.setId(Id::generate());
            m.setPartitionKey(key);
            return m;
        }
        void sendMessages(const std::vector<Message>& messages) {
            std::vector<WireMessage> wires;
            for (const auto& m : messages)
                wires.push_back(plugins.current()->serializer->encode(m));
            send(wires, "test.flaky");
        }
        /// The head of key's sequence of consumer flaky (nothing: released or no sequence).
        std::optional<Id> headOf(const std::string& key) {
            auto session = database->session();
            core::SequenceStore store(database->dialect(), settings.dedupTable);
            for (const auto& s : store.list(*session, std::string("flaky"), 100))
                if (s.key == key)
                    return s.head;
            return std::nullopt;
        }
        bool hasEffect(const std::string& k) {
            return count("SELECT COUNT(*) FROM flaky_effects WHERE k = '" + k + "'") == 1;
        }

        /// Runs the retry worker (retries and releases) until done() or a generous deadline.
        void retryUntil(const std::function<bool()>& done) {
            core::RetryWorker worker(*database, plugins, core::retryWorkerSettingsOf(settings),
                                     metrics, {});
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
            while (!done() && std::chrono::steady_clock::now() < deadline) {
                worker.retryDue();
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            CPPUNIT_ASSERT_MESSAGE("the retries and releases did not settle in time", done());
        }
        void retryUntilSettled() {
            retryUntil([this] { return rows("retry") == 0 && parked() == 0 && sequences() == 0; });
        }

        /// Each key's effects in commit order: their sequence numbers.
        std::map<std::string, std::vector<int>> effectsByKey() {
            auto session = database->session();
            std::vector<std::string> keys;
            *session << "SELECT k FROM flaky_effects ORDER BY n", into(keys), now;
            std::map<std::string, std::vector<int>> out;
            for (const auto& k : keys) {
                const auto dash = k.rfind('-');
                out[k.substr(0, dash)].push_back(std::stoi(k.substr(dash + 1)));
            }
            return out;
        }

        /// Every key's effects are 1..count, once each, in that order.
        void assertInOrder(const std::map<std::string, int>& counts) {
            const auto byKey = effectsByKey();
            CPPUNIT_ASSERT_EQUAL(counts.size(), byKey.size());
            for (const auto& [key, n] : counts) {
                const auto it = byKey.find(key);
                CPPUNIT_ASSERT_MESSAGE("no effect of key " + key, it != byKey.end());
                std::vector<int> expected;
                for (int i = 1; i <= n; ++i)
                    expected.push_back(i);
                std::string got;
                for (int i : it->second)
                    got += std::to_string(i) + " ";
                CPPUNIT_ASSERT_MESSAGE("key " + key + " ran as " + got, it->second == expected);
            }
        }
    };

    static void sameBatch(const std::string& connector) {
        Bus bus(connector);
        // A's second message fails its first attempt; B and C interleave.
        bus.sendKeyed({{"A", 1, 0},
                       {"B", 1, 0},
                       {"A", 2, 1},
                       {"C", 1, 0},
                       {"A", 3, 0},
                       {"B", 2, 0},
                       {"A", 4, 0},
                       {"C", 2, 0},
                       {"A", 5, 0},
                       {"B", 3, 0}});
        bus.consume(10);
        // The other keys ran at once; A's 3..5 wait behind A-2 without running.
        CPPUNIT_ASSERT(bus.hasEffect("A-1"));
        CPPUNIT_ASSERT(!bus.hasEffect("A-2"));
        for (const std::string k : {"A-3", "A-4", "A-5"})
            CPPUNIT_ASSERT(!bus.hasEffect(k));
        CPPUNIT_ASSERT_EQUAL(6, bus.effects());
        CPPUNIT_ASSERT_EQUAL(3, bus.parked());
        CPPUNIT_ASSERT_EQUAL(1, bus.sequences());
        CPPUNIT_ASSERT_EQUAL(1, bus.rows("retry"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), bus.metrics.parked.load());
        // Parked messages have their dedup rows: 9 of the 10 (A-2's went with its failure).
        CPPUNIT_ASSERT_EQUAL(9, bus.count("SELECT COUNT(*) FROM " + bus.settings.dedupTable));

        bus.retryUntilSettled();
        bus.assertInOrder({{"A", 5}, {"B", 3}, {"C", 2}});
        CPPUNIT_ASSERT_EQUAL(10, bus.count("SELECT COUNT(*) FROM " + bus.settings.dedupTable));
        CPPUNIT_ASSERT_EQUAL(0, bus.rows("failed"));
    }

    static void separateBatches(const std::string& connector) {
        Bus bus(connector);
        bus.sendKeyed({{"A", 1, 0}, {"A", 2, 1}, {"B", 1, 0}});
        bus.consume(3);
        CPPUNIT_ASSERT_EQUAL(1, bus.sequences());
        bus.sendKeyed({{"A", 3, 0}, {"B", 2, 0}, {"A", 4, 0}});
        bus.consume(3);
        bus.sendKeyed({{"A", 5, 0}, {"B", 3, 0}});
        bus.consume(2);
        CPPUNIT_ASSERT_EQUAL(3, bus.parked());
        CPPUNIT_ASSERT(bus.hasEffect("B-3"));
        bus.retryUntilSettled();
        bus.assertInOrder({{"A", 5}, {"B", 3}});
    }

public:
    void testSameBatchParksBehindTheHeadAndRunsInOrderOnMariaDb() { sameBatch("MySQL"); }
    void testSameBatchParksBehindTheHeadAndRunsInOrderOnSqlite() { sameBatch("SQLite"); }
    void testSeparateBatchesParkBehindTheHeadOnMariaDb() { separateBatches("MySQL"); }
    void testSeparateBatchesParkBehindTheHeadOnSqlite() { separateBatches("SQLite"); }

    void testParkedMessageFailingOnReleaseBecomesTheHead() {
        Bus bus("MySQL");
        // A-2 was never run when it parked: its first attempt is on release, and it fails.
        bus.sendKeyed({{"A", 1, 1}, {"A", 2, 1}, {"A", 3, 0}});
        bus.consume(3);
        CPPUNIT_ASSERT_EQUAL(2, bus.parked());
        // A-1's retry succeeds, the release runs A-2, which fails and becomes the head.
        bus.retryUntil([&] { return bus.hasEffect("A-1") && bus.parked() == 1; });
        CPPUNIT_ASSERT(!bus.hasEffect("A-3"));
        CPPUNIT_ASSERT_EQUAL(1, bus.sequences());
        bus.retryUntilSettled();
        bus.assertInOrder({{"A", 3}});
    }

    void testRedeliveredParkedMessageIsADuplicate() {
        Bus bus("SQLite");
        const auto serializer = bus.plugins.current()->serializer;
        Message head("test.flaky", R"({"key":"A-1","failUntil":1})");
        head.setId(Id::generate());
        head.setPartitionKey("A");
        Message later("test.flaky", R"({"key":"A-2","failUntil":0})");
        later.setId(Id::generate());
        later.setPartitionKey("A");
        bus.send({serializer->encode(head), serializer->encode(later)}, "test.flaky");
        bus.consume(2);
        CPPUNIT_ASSERT_EQUAL(1, bus.parked());
        // The broker delivers A-2 again (an ack lost with a connection): not parked twice.
        bus.send({serializer->encode(later)}, "test.flaky");
        bus.consume(1);
        CPPUNIT_ASSERT_EQUAL(1, bus.parked());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), bus.metrics.deduplicated.load());
        bus.retryUntilSettled();
        bus.assertInOrder({{"A", 2}});
    }

    void testPoisonBetweenGoodMessagesOfAnOrderedConsumer() {
        Bus bus("MySQL");
        // A body that is no JSON, with a key: it cannot be decoded, goes to the failed table
        // and blocks nothing.
        Message m("test.flaky", R"({"key":"P-1","failUntil":0})");
        m.setId(Id::generate());
        m.setPartitionKey("A");
        WireMessage poison = bus.plugins.current()->serializer->encode(m);
        poison.body = "{not json";
        bus.sendKeyed({{"A", 1, 0}, {"B", 1, 0}});
        bus.send({poison}, "test.flaky");
        bus.sendKeyed({{"A", 2, 0}, {"B", 2, 0}});
        bus.consume(5);
        CPPUNIT_ASSERT_EQUAL(1, bus.rows("failed"));
        CPPUNIT_ASSERT_EQUAL(0, bus.parked());
        bus.assertInOrder({{"A", 2}, {"B", 2}});
    }

    void testUnorderedConsumerDoesNotPark() {
        Bus bus("SQLite", false);
        bus.sendKeyed({{"A", 1, 1}, {"A", 2, 0}});
        bus.consume(2);
        CPPUNIT_ASSERT(bus.hasEffect("A-2"));
        CPPUNIT_ASSERT_EQUAL(0, bus.parked());
        CPPUNIT_ASSERT_EQUAL(0, bus.sequences());
    }

    void testFailedHeadIsReleasedBySkipAndByRemove() {
        Bus bus("SQLite", true, 0);
        const std::string config = bus.writeConfig(test::tempDir("orderedcli"));
        // With no retries the heads are failed rows at once.
        bus.sendKeyed({{"A", 1, 1000}, {"A", 2, 0}, {"B", 1, 1000}, {"B", 2, 0}});
        bus.consume(4);
        CPPUNIT_ASSERT_EQUAL(2, bus.rows("failed"));
        CPPUNIT_ASSERT_EQUAL(2, bus.parked());
        const auto idOf = [&](const std::string& k) {
            return std::to_string(bus.count("SELECT id FROM " + bus.settings.failedTable +
                                            " WHERE error_message LIKE '%of " + k + " fails%'"));
        };
        std::string output;
        CPPUNIT_ASSERT_EQUAL(
            0, test::runCommand(test::msgbusBinary() + " failed:list --config " + config, &output));
        CPPUNIT_ASSERT_MESSAGE(output, output.find("parked") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0,
                                     test::runCommand(test::msgbusBinary() + " failed:skip " +
                                                          idOf("A-1") + " --config " + config,
                                                      &output));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0,
                                     test::runCommand(test::msgbusBinary() + " failed:remove " +
                                                          idOf("B-1") + " --config " + config,
                                                      &output));
        bus.retryUntil([&] { return bus.parked() == 0 && bus.sequences() == 0; });
        CPPUNIT_ASSERT(bus.hasEffect("A-2"));
        CPPUNIT_ASSERT(bus.hasEffect("B-2"));
        CPPUNIT_ASSERT_EQUAL(2, bus.effects());
        // Skipped, A-1 is kept for inspection; removed, B-1 is gone.
        CPPUNIT_ASSERT_EQUAL(1, bus.rows("failed"));
    }

    void testLostStatementOnReleaseDoesNotHoldOtherKeys() {
        Bus bus("MySQL");
        // A opened first, so its release comes first every cycle; A-2's handler kills its own
        // connection every time it runs.
        const Message a2 = bus.keyed("A", 2, 0, ",\"kill\":true");
        bus.sendMessages({bus.keyed("A", 1, 1), a2, bus.keyed("B", 1, 1), bus.keyed("B", 2, 0)});
        bus.consume(4);
        CPPUNIT_ASSERT_EQUAL(2, bus.parked());
        // B's parked message runs although A-2 loses the connection under it on release.
        bus.retryUntil([&] { return bus.hasEffect("B-2") && bus.headOf("A") == a2.id(); });
        CPPUNIT_ASSERT(bus.hasEffect("A-1"));
        CPPUNIT_ASSERT(bus.hasEffect("B-1"));
        // A-2 became A's head, with its failure stored: its retry or failed row owns it.
        CPPUNIT_ASSERT_EQUAL(0, bus.parked());
        CPPUNIT_ASSERT_EQUAL(1, bus.count("SELECT COUNT(*) FROM " + bus.settings.failedTable +
                                          " WHERE error_message LIKE '%A-2%' OR "
                                          "error_message LIKE '%connection%'"));
    }

    void testReleaseUnderAHandlerThatSwallowsARollbackDoesNotCommit() {
        Bus bus("MySQL");
        // On release, A-2's handler rolls the transaction back (as the server does on a
        // deadlock) and carries on once; committed, A-3 would run before A-2 ran again.
        const std::string unique = Id::generate().toString();
        const std::string key = "A" + unique.substr(0, 8);
        bus.sendMessages({bus.keyed(key, 1, 1), bus.keyed(key, 2, 0, ",\"rollbackOnce\":true"),
                          bus.keyed(key, 3, 0)});
        bus.consume(3);
        CPPUNIT_ASSERT_EQUAL(2, bus.parked());
        bus.retryUntilSettled();
        bus.assertInOrder({{key, 3}});
    }

    void testRedeliveredHeadIsADuplicateNotParkedBehindItself() {
        Bus bus("SQLite");
        const Message head = bus.keyed("A", 1, 1);
        bus.sendMessages({head, bus.keyed("A", 2, 0)});
        bus.consume(2);
        CPPUNIT_ASSERT_EQUAL(1, bus.parked());
        // The head comes back (its ack lost after its failure committed): its retry row owns
        // it; parked, it would run after A-2.
        bus.sendMessages({head});
        bus.consume(1);
        CPPUNIT_ASSERT_EQUAL(1, bus.parked());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), bus.metrics.deduplicated.load());
        bus.retryUntilSettled();
        bus.assertInOrder({{"A", 2}});
    }

    static void laterFailureKeepsTheHead(const std::string& connector) {
        Bus bus(connector);
        auto session = bus.database->session();
        core::SequenceStore store(bus.database->dialect(), bus.settings.dedupTable);
        const Id head = Id::generate(), later = Id::generate();
        store.open(*session, "flaky", "K", head, 1);
        // A later message of K that fails outside the release (past the redelivery limit, or
        // run alone) does not take the head's place.
        store.open(*session, "flaky", "K", later, 2);
        CPPUNIT_ASSERT(bus.headOf("K") == head);
        // The release, under the released sequence's lock, does.
        store.resolve(*session, "flaky", head);
        store.open(*session, "flaky", "K", later, 3, true);
        CPPUNIT_ASSERT(bus.headOf("K") == later);
        CPPUNIT_ASSERT_EQUAL(1, bus.sequences());
    }

public:
    void testALaterFailureKeepsTheHeadOnMariaDb() { laterFailureKeepsTheHead("MySQL"); }
    void testALaterFailureKeepsTheHeadOnSqlite() { laterFailureKeepsTheHead("SQLite"); }

    void testHeadIsNotRedirectedAndParkedReleaseFreesItsKey() {
        Bus bus("SQLite", true, 0);
        const std::string config = bus.writeConfig(test::tempDir("orderedrelease"));
        const Message head = bus.keyed("A", 1, 1000);
        bus.sendMessages({head, bus.keyed("A", 2, 0)});
        bus.consume(2);
        CPPUNIT_ASSERT_EQUAL(1, bus.parked());
        core::FailedListRow row;
        row.source = "amqp:flaky";
        row.messageIdHex = head.id().toString();
        {
            auto session = bus.database->session();
            const std::string why =
                core::headRedirectRefusal(*session, bus.database->dialect(), bus.settings, row);
            CPPUNIT_ASSERT_MESSAGE(why, why.find("head of parked key 'A'") != std::string::npos);
            row.messageIdHex = Id::generate().toString();
            CPPUNIT_ASSERT_EQUAL(
                std::string(),
                core::headRedirectRefusal(*session, bus.database->dialect(), bus.settings, row));
        }
        std::string output;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(
            output, 1,
            test::runCommand(
                test::msgbusBinary() + " parked:release flaky nokey --config " + config, &output));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(
            output, 0,
            test::runCommand(test::msgbusBinary() + " parked:release flaky A --config " + config,
                             &output));
        bus.retryUntil([&] { return bus.parked() == 0 && bus.sequences() == 0; });
        CPPUNIT_ASSERT(bus.hasEffect("A-2"));
        CPPUNIT_ASSERT_EQUAL(1, bus.rows("failed"));
        // Both commands are audited; the first released nothing.
        CPPUNIT_ASSERT_EQUAL(2, bus.count("SELECT COUNT(*) FROM " + bus.settings.failedTable +
                                          "_audit WHERE action = 'parked-release'"));
        CPPUNIT_ASSERT_EQUAL(1, bus.count("SELECT COUNT(*) FROM " + bus.settings.failedTable +
                                          "_audit WHERE action = 'parked-release' AND done = 1"));
    }

    static void parkingOutlivesDedupRetention(const std::string& connector) {
        Bus bus(connector);
        const Message later = bus.keyed("A", 2, 0);
        bus.sendMessages({bus.keyed("A", 1, 1), later});
        bus.consume(2);
        CPPUNIT_ASSERT_EQUAL(1, bus.parked());
        const auto cleanDedup = [&] {
            auto session = bus.database->session();
            *session << "DELETE FROM " + bus.settings.dedupTable, now;
        };
        // A-1 waits longer than dedup.retention: A-2's dedup row is cleaned, and the broker
        // delivers A-2 again. It stays parked once, not a failure of its own.
        cleanDedup();
        bus.sendMessages({later});
        bus.consume(1);
        CPPUNIT_ASSERT_EQUAL(1, bus.parked());
        CPPUNIT_ASSERT_EQUAL(0, bus.rows("failed"));
        CPPUNIT_ASSERT_EQUAL(1, bus.rows("retry"));
        CPPUNIT_ASSERT_EQUAL(1, bus.count("SELECT COUNT(*) FROM " + bus.settings.dedupTable));
        // Cleaned again before the release: the release writes it again.
        cleanDedup();
        bus.retryUntilSettled();
        CPPUNIT_ASSERT_EQUAL(2, bus.count("SELECT COUNT(*) FROM " + bus.settings.dedupTable));
        // A late redelivery of A-2 is a duplicate.
        bus.sendMessages({later});
        bus.consume(1);
        bus.assertInOrder({{"A", 2}});
    }

public:
    void testParkingOutlivesDedupRetentionOnMariaDb() { parkingOutlivesDedupRetention("MySQL"); }
    void testParkingOutlivesDedupRetentionOnSqlite() { parkingOutlivesDedupRetention("SQLite"); }

    void testParkedKeysOutliveTurningOrderedOff() {
        Bus bus("SQLite", true, 0);
        bus.sendMessages({bus.keyed("A", 1, 1000), bus.keyed("A", 2, 0)});
        bus.consume(2);
        CPPUNIT_ASSERT_EQUAL(1, bus.parked());
        // The operator turns ordered off with A still parked: A stays in view, its head can
        // still be skipped, and the retry worker still runs its parked message.
        bus.properties["inbox.consumer.flaky.ordered"] = "false";
        for (auto& consumer : bus.settings.inbox.consumers)
            consumer.ordered = false;
        const std::string config = bus.writeConfig(test::tempDir("orderedoff"));
        std::string output;
        CPPUNIT_ASSERT_EQUAL(
            0, test::runCommand(test::msgbusBinary() + " failed:list --config " + config, &output));
        CPPUNIT_ASSERT_MESSAGE(output, output.find("parked sequences") != std::string::npos);
        const std::string head =
            std::to_string(bus.count("SELECT id FROM " + bus.settings.failedTable));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(
            output, 0,
            test::runCommand(test::msgbusBinary() + " failed:skip " + head + " --config " + config,
                             &output));
        bus.retryUntil([&] { return bus.parked() == 0 && bus.sequences() == 0; });
        CPPUNIT_ASSERT(bus.hasEffect("A-2"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OrderedInboxTest);
