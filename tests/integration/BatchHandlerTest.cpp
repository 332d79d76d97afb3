// Batch handlers against the real MariaDB and SQLite (and RabbitMQ for the consumer's path),
// with the tests/plugins/batch fixture: a batch handler's messages of a batch arrive in one
// call written by one multi-row INSERT; a call that throws falls back to each message alone,
// so only the guilty one fails and what the call published is rolled back with it;
// duplicates, undecodable messages and unknown names never reach it; a batch that mixes it
// with a per-message handler keeps the order per partition key.
//
// Most cases drive MessageProcessor::processBatch directly: one call of it is one batch, so
// which messages share a call is known exactly.
#include "core/failed/FailedStore.h"
#include "core/inbox/BatchAborted.h"
#include "core/inbox/MessageProcessor.h"
#include "support/ScratchBus.h"
#include "support/TestEnv.h"

#include <msgbus/OutboxWriter.h>

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <thread>

using namespace msgbus;
using namespace Poco::Data::Keywords;
using core::ProcessResult;

class BatchHandlerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BatchHandlerTest);
    CPPUNIT_TEST(testGoodBatchIsOneCallAndOneStatementOnMariaDb);
    CPPUNIT_TEST(testGoodBatchIsOneCallAndOneStatementOnSqlite);
    CPPUNIT_TEST(testPoisonFallsBackToEachAloneOnMariaDb);
    CPPUNIT_TEST(testPoisonFallsBackToEachAloneOnSqlite);
    CPPUNIT_TEST(testMalformedInTheCallIsAFailedRowAndNeighboursCommit);
    CPPUNIT_TEST(testDuplicatesAndUndecodableNeverReachIt);
    CPPUNIT_TEST(testMixedBatchKeepsTheOrderPerPartitionKey);
    CPPUNIT_TEST(testPoisonOfAPlainHandlerLeavesTheBatchCallWhole);
    CPPUNIT_TEST(testPublishedWithACauseCarryItsCorrelationAndRollBackWithTheCall);
    CPPUNIT_TEST(testConsumerRunsTheBatchHandlerFromTheQueue);
    CPPUNIT_TEST(testConnectionLostUnderABatchCallBlamesOnlyTheSlowMessage);
    CPPUNIT_TEST(testConnectionLostUnderTheBatchsPublishWriteBlamesOnlyTheBlockedMessage);
    CPPUNIT_TEST_SUITE_END();

    struct Bus : test::ScratchBus {
        explicit Bus(const std::string& connector,
                     const std::map<std::string, std::string>& extra = {})
            : ScratchBus("batch") {
            std::map<std::string, std::string> properties{
                {"plugin.batch.library", "libmsgbus-test-batch.so"},
                {"inbox.consumers", "batch"},
                {"inbox.consumer.batch.queue", queue},
                {"inbox.consumer.batch.plugins", "batch"},
                {"retry.delay_ms", "60000"}};
            for (const auto& [key, value] : extra)
                properties[key] = value;
            const std::string seq = connector == "MySQL" ? "seq BIGINT AUTO_INCREMENT PRIMARY KEY"
                                                         : "seq INTEGER PRIMARY KEY AUTOINCREMENT";
            open(connector, properties, "#", [seq](Poco::Data::Session& session) {
                session << "CREATE TABLE batch_effects (" + seq +
                               ", k VARCHAR(64) NOT NULL, call_id INT NOT NULL, call_size INT "
                               "NOT NULL, rerun INT NOT NULL, attempt INT NOT NULL)",
                    now;
            });
            processor = std::make_unique<core::MessageProcessor>(
                *database, core::pipelineSettingsOf(settings), metrics, "batch");
        }

        WireMessage wire(const std::string& name, const std::string& key,
                         const std::string& mode = "ok",
                         const std::optional<std::string>& partitionKey = std::nullopt) {
            Message m(name, R"({"key":")" + key + R"(","mode":")" + mode + R"("})");
            m.setId(Id::generate());
            if (partitionKey)
                m.setPartitionKey(*partitionKey);
            return plugins.current()->serializer->encode(m);
        }
        WireMessage batch(const std::string& key, const std::string& mode = "ok") {
            return wire("test.batch", key, mode);
        }

        std::vector<ProcessResult> process(const std::vector<WireMessage>& wires) {
            std::vector<core::InboxItem> items;
            for (const auto& w : wires)
                items.emplace_back(&w);
            return processor->processBatch(*plugins.current(), items);
        }

        /// k, call_size and rerun of each row, in the order written.
        std::vector<std::tuple<std::string, int, int>> effects() {
            auto session = database->session();
            std::vector<std::string> keys;
            std::vector<int> sizes, reruns;
            *session << "SELECT k, call_size, rerun FROM batch_effects ORDER BY seq", into(keys),
                into(sizes), into(reruns), now;
            std::vector<std::tuple<std::string, int, int>> rows;
            for (std::size_t i = 0; i < keys.size(); ++i)
                rows.emplace_back(keys[i], sizes[i], reruns[i]);
            return rows;
        }

        std::vector<core::FailedRecord> rows(const std::string& queueName) {
            auto session = database->session();
            return core::FailedStore(database->dialect(), settings.failedTable)
                .list(*session, queueName, "", "", 100);
        }

        std::unique_ptr<core::MessageProcessor> processor;
    };

    using Effect = std::tuple<std::string, int, int>;

    static std::vector<WireMessage> goodOnes(Bus& bus, int n, const std::string& prefix = "g-") {
        std::vector<WireMessage> wires;
        for (int i = 0; i < n; ++i)
            wires.push_back(bus.batch(prefix + std::to_string(i)));
        return wires;
    }

    static void assertAll(const std::vector<ProcessResult>& results, ProcessResult expected) {
        for (auto r : results)
            CPPUNIT_ASSERT(r == expected);
    }

    void goodBatchIsOneCall(const std::string& connector) {
        Bus bus(connector);
        const auto results = bus.process(goodOnes(bus, 10));
        assertAll(results, ProcessResult::Handled);
        const auto effects = bus.effects();
        CPPUNIT_ASSERT_EQUAL(std::size_t(10), effects.size());
        for (int i = 0; i < 10; ++i)
            CPPUNIT_ASSERT(effects[i] == Effect("g-" + std::to_string(i), 10, 0));
        CPPUNIT_ASSERT_EQUAL(1, bus.count("SELECT COUNT(DISTINCT call_id) FROM batch_effects"));
        CPPUNIT_ASSERT_EQUAL(10, bus.count("SELECT COUNT(*) FROM " + bus.settings.dedupTable));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(10), bus.metrics.consumed.load());
    }

    void poisonFallsBack(const std::string& connector) {
        Bus bus(connector);
        auto wires = goodOnes(bus, 10);
        wires.insert(wires.begin() + 5, bus.batch("poison", "poison"));
        const auto results = bus.process(wires);
        for (std::size_t i = 0; i < results.size(); ++i)
            CPPUNIT_ASSERT(results[i] == (i == 5 ? ProcessResult::Retry : ProcessResult::Handled));
        // Each neighbour ran again alone, told it is a rerun, and wrote its row once.
        const auto effects = bus.effects();
        CPPUNIT_ASSERT_EQUAL(std::size_t(10), effects.size());
        for (int i = 0; i < 10; ++i)
            CPPUNIT_ASSERT(effects[i] == Effect("g-" + std::to_string(i), 1, 1));
        const auto retry = bus.rows("retry");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), retry.size());
        CPPUNIT_ASSERT_EQUAL(std::string("HandlerFailed"), retry[0].errorClass);
        CPPUNIT_ASSERT(retry[0].errorMessage.find("poison poison") != std::string::npos);
        CPPUNIT_ASSERT(retry[0].errorMessage.find("batch/EffectsBatchHandler") !=
                       std::string::npos);
        CPPUNIT_ASSERT_EQUAL(10, bus.count("SELECT COUNT(*) FROM " + bus.settings.dedupTable));
    }

public:
    void testGoodBatchIsOneCallAndOneStatementOnMariaDb() { goodBatchIsOneCall("MySQL"); }
    void testGoodBatchIsOneCallAndOneStatementOnSqlite() { goodBatchIsOneCall("SQLite"); }
    void testPoisonFallsBackToEachAloneOnMariaDb() { poisonFallsBack("MySQL"); }
    void testPoisonFallsBackToEachAloneOnSqlite() { poisonFallsBack("SQLite"); }

    void testMalformedInTheCallIsAFailedRowAndNeighboursCommit() {
        Bus bus("MySQL");
        auto wires = goodOnes(bus, 4);
        wires.insert(wires.begin() + 2, bus.batch("bad", "malformed"));
        const auto results = bus.process(wires);
        CPPUNIT_ASSERT(results[2] == ProcessResult::Failed);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), bus.effects().size());
        const auto failed = bus.rows("failed");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), failed.size());
        CPPUNIT_ASSERT_EQUAL(std::string("MalformedMessage"), failed[0].errorClass);
        CPPUNIT_ASSERT(bus.rows("retry").empty());
    }

    void testDuplicatesAndUndecodableNeverReachIt() {
        Bus bus("MySQL");
        const WireMessage x = bus.batch("x");
        const WireMessage y = bus.batch("y");
        const WireMessage z = bus.batch("z");
        assertAll(bus.process({x}), ProcessResult::Handled);
        WireMessage broken = bus.batch("broken");
        broken.body = "{not json";
        const WireMessage unknown = bus.wire("test.unknown", "u");
        // x was handled before, the second y is a copy in the same batch.
        const auto results = bus.process({x, y, broken, unknown, y, z});
        CPPUNIT_ASSERT(results[0] == ProcessResult::Duplicate);
        CPPUNIT_ASSERT(results[1] == ProcessResult::Handled);
        CPPUNIT_ASSERT(results[2] == ProcessResult::Failed);
        CPPUNIT_ASSERT(results[3] == ProcessResult::Failed);
        CPPUNIT_ASSERT(results[4] == ProcessResult::Duplicate);
        CPPUNIT_ASSERT(results[5] == ProcessResult::Handled);
        const auto effects = bus.effects();
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), effects.size());
        CPPUNIT_ASSERT(effects[0] == Effect("x", 1, 0));
        // One call of the two fresh ones, on the fast path (no fallback, no rerun).
        CPPUNIT_ASSERT(effects[1] == Effect("y", 2, 0));
        CPPUNIT_ASSERT(effects[2] == Effect("z", 2, 0));
        CPPUNIT_ASSERT_EQUAL(2, static_cast<int>(bus.rows("failed").size()));
    }

    void testMixedBatchKeepsTheOrderPerPartitionKey() {
        Bus bus("SQLite");
        // Without keys the batch handler's messages share one call at the first one's place.
        auto results = bus.process({bus.batch("b1"), bus.wire("test.plain", "p1"), bus.batch("b2"),
                                    bus.wire("test.plain", "p2"), bus.batch("b3")});
        assertAll(results, ProcessResult::Handled);
        auto effects = bus.effects();
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), effects.size());
        CPPUNIT_ASSERT(effects[0] == Effect("b1", 3, 0));
        CPPUNIT_ASSERT(effects[1] == Effect("b2", 3, 0));
        CPPUNIT_ASSERT(effects[2] == Effect("b3", 3, 0));
        CPPUNIT_ASSERT(effects[3] == Effect("p1", 0, 0));
        CPPUNIT_ASSERT(effects[4] == Effect("p2", 0, 0));

        // k-2 never moves ahead of p-k, which has its key: it starts a second call, which k-3
        // (another key) joins.
        Bus keyed("SQLite");
        results = keyed.process({keyed.wire("test.batch", "k-1", "ok", "order-1"),
                                 keyed.wire("test.plain", "p-k", "ok", "order-1"),
                                 keyed.wire("test.batch", "k-2", "ok", "order-1"),
                                 keyed.wire("test.batch", "k-3", "ok", "order-2")});
        assertAll(results, ProcessResult::Handled);
        effects = keyed.effects();
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), effects.size());
        CPPUNIT_ASSERT(effects[0] == Effect("k-1", 1, 0));
        CPPUNIT_ASSERT(effects[1] == Effect("p-k", 0, 0));
        CPPUNIT_ASSERT(effects[2] == Effect("k-2", 2, 0));
        CPPUNIT_ASSERT(effects[3] == Effect("k-3", 2, 0));
    }

    void testPoisonOfAPlainHandlerLeavesTheBatchCallWhole() {
        Bus bus("MySQL");
        const auto results =
            bus.process({bus.batch("b1"), bus.wire("test.plain", "p1", "poison"), bus.batch("b2"),
                         bus.wire("test.plain", "p2"), bus.batch("b3")});
        CPPUNIT_ASSERT(results[1] == ProcessResult::Retry);
        const auto effects = bus.effects();
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), effects.size());
        // Run again under savepoints, the batch call stays one call (a rerun: it ran before
        // the plain handler failed).
        CPPUNIT_ASSERT(effects[0] == Effect("b1", 3, 1));
        CPPUNIT_ASSERT(effects[1] == Effect("b2", 3, 1));
        CPPUNIT_ASSERT(effects[2] == Effect("b3", 3, 1));
        CPPUNIT_ASSERT(effects[3] == Effect("p2", 0, 0));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), bus.rows("retry").size());
    }

    void testPublishedWithACauseCarryItsCorrelationAndRollBackWithTheCall() {
        Bus bus("MySQL");
        Message cause("test.batch", R"({"key":"c","mode":"publish"})");
        cause.setId(Id::generate());
        cause.setHeader("correlation-id", "conversation-7");
        const WireMessage causeWire = bus.plugins.current()->serializer->encode(cause);
        // The call writes and publishes for c and s, then fails on the late poison: all of it
        // is rolled back, and c's and s's runs alone publish once more.
        const auto results =
            bus.process({causeWire, bus.batch("s", "summary"), bus.batch("poison", "late")});
        CPPUNIT_ASSERT(results[0] == ProcessResult::Handled);
        CPPUNIT_ASSERT(results[1] == ProcessResult::Handled);
        CPPUNIT_ASSERT(results[2] == ProcessResult::Retry);
        CPPUNIT_ASSERT(bus.effects() == std::vector<Effect>({{"c", 1, 1}, {"s", 1, 1}}));
        const std::string outbox = bus.settings.outbox.table;
        CPPUNIT_ASSERT_EQUAL(2, bus.count("SELECT COUNT(*) FROM " + outbox));
        auto session = bus.database->session();
        std::string done, summary;
        *session << "SELECT headers FROM " + outbox + " WHERE message_name = 'test.batch.done'",
            into(done), now;
        *session << "SELECT headers FROM " + outbox + " WHERE message_name = 'test.batch.summary'",
            into(summary), now;
        CPPUNIT_ASSERT(done.find("conversation-7") != std::string::npos);
        CPPUNIT_ASSERT(done.find(cause.id().toString()) != std::string::npos);
        CPPUNIT_ASSERT(summary.find("causation-id") == std::string::npos);
        CPPUNIT_ASSERT(summary.find("conversation-7") == std::string::npos);
    }

    void testConsumerRunsTheBatchHandlerFromTheQueue() {
        Bus bus("MySQL");
        auto wires = goodOnes(bus, 30);
        wires.push_back(wires[3]); // a redelivered copy
        bus.send(wires, "test.batch");
        bus.consume(31);
        CPPUNIT_ASSERT_EQUAL(30, bus.count("SELECT COUNT(*) FROM batch_effects"));
        CPPUNIT_ASSERT_EQUAL(30, bus.count("SELECT COUNT(DISTINCT k) FROM batch_effects"));
        // Every call wrote exactly its own messages, with one statement.
        CPPUNIT_ASSERT_EQUAL(0, bus.count("SELECT COUNT(*) FROM (SELECT call_id, MAX(call_size) "
                                          "s, COUNT(*) n FROM batch_effects GROUP BY call_id) c "
                                          "WHERE s <> n"));
        CPPUNIT_ASSERT_EQUAL(0, test::queueDepth(bus.queue));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), bus.metrics.deduplicated.load());
    }

    void testConnectionLostUnderABatchCallBlamesOnlyTheSlowMessage() {
        // The call's statement outlives db.io_timeout_ms and takes the connection: any of its
        // messages may be the cause. The batch goes back with no suspect; when it comes back,
        // each of them runs alone, and the slow one loses the connection under its own
        // statement: the suspect.
        Bus bus("MySQL", {{"db.io_timeout_ms", "1000"}, {"inbox.max_redeliveries", "1"}});
        auto wires = goodOnes(bus, 4);
        wires.insert(wires.begin() + 2, bus.batch("slow", "slow"));
        std::vector<core::InboxItem> items;
        for (const auto& w : wires)
            items.emplace_back(&w);
        const auto suspectOf = [&]() -> const core::InboxItem* {
            try {
                bus.processor->processBatch(*bus.plugins.current(), items);
            } catch (const core::BatchAborted& aborted) {
                return aborted.suspect() ? aborted.suspect() : &items.back() + 1;
            }
            CPPUNIT_FAIL("the batch was committed");
            return nullptr;
        };
        CPPUNIT_ASSERT(suspectOf() == &items.back() + 1); // none
        // The statement left behind holds the dedup rows' locks until it ends.
        waitForNoSleepingStatement(bus);
        CPPUNIT_ASSERT(suspectOf() == &items[2]);
        CPPUNIT_ASSERT_EQUAL(0, bus.count("SELECT COUNT(*) FROM batch_effects"));

        // Through the consumer: the slow one's redeliveries count, its neighbours' do not;
        // past inbox.max_redeliveries it is a failed row and they commit, once each.
        waitForNoSleepingStatement(bus);
        bus.send(wires, "test.batch");
        bus.consume(5);
        CPPUNIT_ASSERT_EQUAL(4, bus.count("SELECT COUNT(*) FROM batch_effects"));
        CPPUNIT_ASSERT_EQUAL(4, bus.count("SELECT COUNT(DISTINCT k) FROM batch_effects"));
        const auto failed = bus.rows("failed");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), failed.size());
        CPPUNIT_ASSERT_EQUAL(std::string("RedeliveryLimit"), failed[0].errorClass);
        CPPUNIT_ASSERT_EQUAL(0, test::queueDepth(bus.queue));
    }

    void testConnectionLostUnderTheBatchsPublishWriteBlamesOnlyTheBlockedMessage() {
        // Another transaction holds an outbox row with the id one handler publishes under: the
        // batch's one write of what its handlers published waits for that lock past
        // db.io_timeout_ms and takes the connection. Any publisher may be the cause: the batch
        // goes back with no suspect; when it comes back, the publishers write their own
        // publishes within their calls, and the blocked one loses the connection there: the
        // suspect.
        Bus bus("MySQL", {{"db.io_timeout_ms", "1000"}});
        const Id blocked = Id::generate();
        Poco::Data::Session blocker("MySQL", bus.settings.db.connection);
        blocker << "START TRANSACTION", now;
        std::vector<Message> holding{Message("test.plain.done", R"({"key":"holding"})")};
        holding.front().setId(blocked);
        OutboxWriter(blocker, OutboxWriter::Options{bus.settings.outbox.table}).write(holding);

        auto wires = goodOnes(bus, 2);
        wires.push_back(bus.wire("test.plain", "p-0", "publish"));
        wires.push_back(bus.wire("test.plain", blocked.toString(), "collide"));
        wires.push_back(bus.wire("test.plain", "p-1", "publish"));
        std::vector<core::InboxItem> items;
        for (const auto& w : wires)
            items.emplace_back(&w);
        std::string error;
        const auto suspectOf = [&]() -> const core::InboxItem* {
            try {
                bus.processor->processBatch(*bus.plugins.current(), items);
            } catch (const core::BatchAborted& aborted) {
                error = aborted.what();
                return aborted.suspect() ? aborted.suspect() : &items.back() + 1;
            }
            CPPUNIT_FAIL("the batch was committed");
            return nullptr;
        };
        CPPUNIT_ASSERT(suspectOf() == &items.back() + 1); // none
        CPPUNIT_ASSERT_MESSAGE(error, error.find("the outbox write of what") != std::string::npos);
        // The INSERT left behind waits for the blocker's lock and holds the dedup rows' locks.
        killWaitingOutboxInserts(bus);
        CPPUNIT_ASSERT(suspectOf() == &items[3]);
        killWaitingOutboxInserts(bus);
        blocker << "ROLLBACK", now;
        CPPUNIT_ASSERT_EQUAL(0, bus.count("SELECT COUNT(*) FROM batch_effects"));
        CPPUNIT_ASSERT_EQUAL(0, bus.count("SELECT COUNT(*) FROM " + bus.settings.outbox.table));
        CPPUNIT_ASSERT_EQUAL(0, bus.count("SELECT COUNT(*) FROM " + bus.settings.dedupTable));

        // Run again once the lock is gone: the lone messages and their neighbours all commit.
        assertAll(bus.process(wires), ProcessResult::Handled);
        CPPUNIT_ASSERT_EQUAL(5, bus.count("SELECT COUNT(*) FROM batch_effects"));
        CPPUNIT_ASSERT_EQUAL(3, bus.count("SELECT COUNT(*) FROM " + bus.settings.outbox.table));
        // Only the publishers were made lone: the batch handler's two still shared a call.
        CPPUNIT_ASSERT_EQUAL(2,
                             bus.count("SELECT COUNT(*) FROM batch_effects WHERE call_size = 2"));
    }

    /// Kills the statements of this test's database that still write the outbox on the server
    /// (their client gave up on them), and waits until they are gone.
    static void killWaitingOutboxInserts(Bus& bus) {
        const std::string sql = "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = "
                                "DATABASE() AND INFO LIKE 'INSERT INTO " +
                                bus.settings.outbox.table + "%'";
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        for (;;) {
            auto session = bus.database->session();
            std::vector<Poco::Int64> ids;
            *session << sql, into(ids), now;
            if (ids.empty())
                return;
            CPPUNIT_ASSERT_MESSAGE("an outbox INSERT still runs after 60 s",
                                   std::chrono::steady_clock::now() < deadline);
            for (auto id : ids)
                try {
                    *session << "KILL " + std::to_string(id), now;
                } catch (const std::exception&) {
                    // It ended meanwhile.
                }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }

    /// Waits (up to 60 s) until no statement of this test's database sleeps on the server.
    static void waitForNoSleepingStatement(Bus& bus) {
        const std::string sql = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = "
                                "DATABASE() AND INFO LIKE 'SELECT SLEEP%'";
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (bus.count(sql) > 0) {
            CPPUNIT_ASSERT_MESSAGE("a statement still sleeps after 60 s",
                                   std::chrono::steady_clock::now() < deadline);
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BatchHandlerTest);
