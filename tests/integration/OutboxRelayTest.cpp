// The outbox relay against real MariaDB/SQLite and RabbitMQ: it publishes exactly what was
// committed, and a row the broker cannot route ends in the failed table without holding up
// the others.
#include "core/outbox/OutboxRelay.h"
#include "core/amqp/AmqpConsumer.h"
#include "core/amqp/AmqpUrl.h"
#include "core/config/Settings.h"
#include "core/db/Database.h"
#include "core/db/MysqlLink.h"
#include "core/db/Transaction.h"
#include "core/failed/FailedStore.h"
#include "core/metrics/Metrics.h"
#include "core/outbox/OutboxStore.h"
#include "core/util/Clock.h"
#include "core/util/StopToken.h"
#include "support/HostProcess.h"
#include "support/ScratchBus.h"
#include "support/TcpRelay.h"
#include "support/TestEnv.h"

#include <msgbus/OutboxWriter.h>

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <memory>
#include <set>
#include <thread>

using namespace msgbus;
using namespace Poco::Data::Keywords;

class OutboxRelayTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OutboxRelayTest);
    CPPUNIT_TEST(testRelayPublishesExactlyTheCommittedRowsOnMariaDb);
    CPPUNIT_TEST(testRelayPublishesExactlyTheCommittedRowsOnSqlite);
    CPPUNIT_TEST(testRelayWithASingleSessionPoolDoesNotPipelineButDrains);
    CPPUNIT_TEST(testConfirmedBatchIsSettledOnceAfterDeadlocksWithASingleSession);
    CPPUNIT_TEST(testUnroutableRowGoesToFailedTableWhileOthersPass);
    CPPUNIT_TEST(testOnlyOneRelayPerSqliteFileAndTheOtherTakesOver);
    CPPUNIT_TEST(testBodyLongerThanTheReadWindowIsPublishedWhole);
    CPPUNIT_TEST(testRowsRungDuringAConfirmWaitArePublishedBeforeThatConfirm);
    CPPUNIT_TEST(testAClaimLocksItsOwnRowsOnlyAndTwoClaimsSettleWithoutWaiting);
    CPPUNIT_TEST_SUITE_END();

    struct Bus : test::ScratchBus {
        explicit Bus(const std::string& connector, std::map<std::string, std::string> extra = {})
            : ScratchBus("relay") {
            open(connector, extra, "order.#");
        }

        /// Writes count messages in transactions of 100; commits them unless rollback.
        std::set<std::string> write(int count, const std::string& name, bool rollback = false) {
            std::set<std::string> ids;
            auto session = database->session();
            for (int done = 0; done < count;) {
                core::Transaction tx(*session, database->dialect());
                OutboxWriter writer(*session,
                                    {settings.outbox.table, settings.outbox.maxBodyBytes});
                for (int i = 0; i < 100 && done < count; ++i, ++done) {
                    Message m(name, R"({"n":)" + std::to_string(done) + "}");
                    ids.insert(writer.write(m).toString());
                }
                if (rollback)
                    tx.rollback();
                else
                    tx.commit();
            }
            return ids;
        }

        int outboxRows() { return count("SELECT COUNT(*) FROM " + settings.outbox.table); }
    };

    void relayPublishesExactlyTheCommittedRows(const std::string& connector, int rows,
                                               std::map<std::string, std::string> extra = {}) {
        extra.emplace("outbox.batch_size", "500");
        Bus bus(connector, extra);
        auto committed = bus.write(rows, "order.placed");
        bus.write(300, "order.placed", true); // rolled back: must never reach the broker
        CPPUNIT_ASSERT_EQUAL(rows, bus.outboxRows());

        // As the host runs it: OutboxRelay::run, two batches in flight, so the second claim
        // must leave the first batch's rows alone (row locks on MariaDB, the in-flight list on
        // SQLite) or they would be published twice.
        core::StopToken stop;
        std::thread relayThread([&] {
            core::OutboxRelay relay(*bus.database, bus.plugins, core::relaySettingsOf(bus.settings),
                                    bus.metrics, 0);
            relay.run(stop);
        });
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
        while (bus.metrics.confirmed.load() < static_cast<std::uint64_t>(rows) &&
               std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        stop.requestStop();
        relayThread.join();
        CPPUNIT_ASSERT_EQUAL(0, bus.outboxRows());

        auto received = bus.drainMessageIds();
        CPPUNIT_ASSERT_EQUAL(committed.size(), received.size()); // no duplicates, nothing extra
        CPPUNIT_ASSERT(std::set<std::string>(received.begin(), received.end()) == committed);
        CPPUNIT_ASSERT_EQUAL(static_cast<std::uint64_t>(rows), bus.metrics.confirmed.load());
    }

public:
    void testRelayPublishesExactlyTheCommittedRowsOnMariaDb() {
        relayPublishesExactlyTheCommittedRows("MySQL", 20000);
    }
    void testRelayPublishesExactlyTheCommittedRowsOnSqlite() {
        relayPublishesExactlyTheCommittedRows("SQLite", 5000);
    }
    void testRelayWithASingleSessionPoolDoesNotPipelineButDrains() {
        // The pipelined claim needs a second session; with none free the relay settles the
        // batch in flight first instead of waiting for a session it holds itself.
        relayPublishesExactlyTheCommittedRows("MySQL", 3000, {{"db.pool.max", "1"}});
    }

    void testConfirmedBatchIsSettledOnceAfterDeadlocksWithASingleSession() {
        // The broker confirmed the batch, then deleting its rows fails with a deadlock twice
        // (a trigger raises error 1213; its count is in a MEMORY table, which a rollback does
        // not undo). The batch is settled again on the session it holds (the pool has no
        // other) instead of waiting for a second one for ever, and nothing is published twice.
        Bus bus("MySQL", {{"db.pool.max", "1"}, {"outbox.batch_size", "100"}});
        auto committed = bus.write(300, "order.placed");
        {
            auto session = bus.database->session();
            *session << "CREATE TABLE settle_trips (n INT NOT NULL) ENGINE=MEMORY", now;
            *session << "INSERT INTO settle_trips VALUES (0)", now;
            *session << "CREATE TRIGGER settle_deadlock BEFORE DELETE ON " +
                            bus.settings.outbox.table +
                            " FOR EACH ROW BEGIN IF (SELECT n FROM settle_trips) < 2 THEN "
                            "UPDATE settle_trips SET n = n + 1; SIGNAL SQLSTATE '40001' SET "
                            "MYSQL_ERRNO = 1213, MESSAGE_TEXT = 'Deadlock found when trying to "
                            "get lock; try restarting transaction'; END IF; END",
                now;
        }
        core::StopToken stop;
        std::thread relayThread([&] {
            core::OutboxRelay relay(*bus.database, bus.plugins, core::relaySettingsOf(bus.settings),
                                    bus.metrics, 0);
            relay.run(stop);
        });
        test::waitUntil([&] { return bus.metrics.confirmed.load() >= 300; },
                        std::chrono::seconds(60));
        stop.requestStop();
        relayThread.join();
        CPPUNIT_ASSERT_EQUAL(2, bus.count("SELECT n FROM settle_trips"));
        CPPUNIT_ASSERT_EQUAL(0, bus.outboxRows());
        auto received = bus.drainMessageIds();
        CPPUNIT_ASSERT_EQUAL(committed.size(), received.size());
        CPPUNIT_ASSERT(std::set<std::string>(received.begin(), received.end()) == committed);
    }

    void testUnroutableRowGoesToFailedTableWhileOthersPass() {
        Bus bus("MySQL", {{"outbox.max_attempts", "3"},
                          {"outbox.retry_delay_ms", "1"},
                          {"outbox.batch_size", "200"}});
        auto good = bus.write(1000, "order.placed");
        auto bad = bus.write(1, "invoice.paid"); // nothing is bound to invoice.#
        core::OutboxRelay relay(*bus.database, bus.plugins, core::relaySettingsOf(bus.settings),
                                bus.metrics, 0);
        for (int round = 0; round < 50 && bus.outboxRows() > 0; ++round) {
            while (relay.relayBatch() > 0) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        CPPUNIT_ASSERT_EQUAL(0, bus.outboxRows());
        auto received = bus.drainMessageIds();
        CPPUNIT_ASSERT(std::set<std::string>(received.begin(), received.end()) == good);

        auto session = bus.database->session();
        core::FailedStore failed(bus.database->dialect(), bus.settings.failedTable);
        auto rows = failed.list(*session, "failed", "outbox", "", 10);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), rows.size());
        CPPUNIT_ASSERT_EQUAL(*bad.begin(), rows[0].messageId->toString());
        CPPUNIT_ASSERT_EQUAL(3, rows[0].attempts);
        CPPUNIT_ASSERT_MESSAGE(rows[0].errorMessage,
                               rows[0].errorMessage.find("NO_ROUTE") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"n":0})"), rows[0].body);
    }

    void testOnlyOneRelayPerSqliteFileAndTheOtherTakesOver() {
        Bus bus("SQLite", {{"outbox.batch_size", "100"}});
        auto committed = bus.write(300, "order.placed");
        auto standby = std::make_unique<core::OutboxRelay>(
            *bus.database, bus.plugins, core::relaySettingsOf(bus.settings), bus.metrics, 1);
        {
            core::OutboxRelay owner(*bus.database, bus.plugins, core::relaySettingsOf(bus.settings),
                                    bus.metrics, 0);
            CPPUNIT_ASSERT_EQUAL(100, owner.relayBatch());
            CPPUNIT_ASSERT_EQUAL(0, standby->relayBatch()); // locked out: publishes nothing
            CPPUNIT_ASSERT_EQUAL(200, bus.outboxRows());
        } // the owner goes away
        int total = 0;
        while (int n = standby->relayBatch())
            total += n;
        CPPUNIT_ASSERT_EQUAL(200, total);
        auto received = bus.drainMessageIds();
        CPPUNIT_ASSERT_EQUAL(committed.size(), received.size());
    }

    void testBodyLongerThanTheReadWindowIsPublishedWhole() {
        // The relay reads bodies up to outbox.max_body_bytes with the claim (a bounded read);
        // a row written before the limit was lowered is read again in full, never truncated.
        Bus bus("MySQL", {{"outbox.max_body_bytes", "100"}});
        std::string big = R"({"blob":")" + std::string(5000, 'x') + "\"}";
        {
            auto session = bus.database->session();
            core::Transaction tx(*session, bus.database->dialect());
            Message m("order.placed", big);
            OutboxWriter(*session, {bus.settings.outbox.table, 1 << 20}).write(m);
            tx.commit();
        }
        bus.write(3, "order.placed");
        core::OutboxRelay relay(*bus.database, bus.plugins, core::relaySettingsOf(bus.settings),
                                bus.metrics, 0);
        while (relay.relayBatch() > 0) {
        }
        core::amqp::AmqpConsumer::Options options;
        options.queue = bus.queue;
        core::amqp::AmqpConsumer consumer(core::amqp::AmqpUrl::parse(test::amqpUrl()), options);
        consumer.connect();
        std::vector<std::size_t> sizes;
        while (auto d = consumer.next(std::chrono::milliseconds(1000))) {
            sizes.push_back(d->wire.body.size());
            consumer.ack(d->deliveryTag, false, d->connectionEpoch);
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), sizes.size());
        CPPUNIT_ASSERT(std::find(sizes.begin(), sizes.end(), big.size()) != sizes.end());
    }

    /// The next message id on consumer within 60 s; fails the test when none comes.
    static std::string nextId(core::amqp::AmqpConsumer& consumer) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (std::chrono::steady_clock::now() < deadline) {
            if (auto d = consumer.next(std::chrono::milliseconds(200))) {
                consumer.ack(d->deliveryTag, false, d->connectionEpoch);
                return d->wire.properties.messageId.value_or("");
            }
        }
        CPPUNIT_FAIL("no message reached the queue within 60 s");
        return "";
    }

    static void waitForOutboxRows(Bus& bus, int rows) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (bus.outboxRows() != rows && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        CPPUNIT_ASSERT_EQUAL(rows, bus.outboxRows());
    }

    void testRowsRungDuringAConfirmWaitArePublishedBeforeThatConfirm() {
        // The relay's broker connection runs through a TCP relay that can hold the broker's
        // replies: a batch's confirm is then outstanding for as long as the test wants.
        Bus bus("MySQL", {{"outbox.poll_interval_ms", "60000"}});
        const auto broker = core::amqp::AmqpUrl::parse(test::amqpUrl());
        test::TcpRelay proxy(broker.host() == "localhost" ? "127.0.0.1" : broker.host(),
                             broker.port());
        auto settings = core::relaySettingsOf(bus.settings);
        settings.amqp.url =
            core::amqp::AmqpUrl("127.0.0.1", static_cast<std::uint16_t>(proxy.port()),
                                broker.vhost(), broker.user(), broker.password())
                .text();
        core::amqp::AmqpConsumer::Options options;
        options.queue = bus.queue;
        core::amqp::AmqpConsumer consumer(broker, options); // straight to the broker
        consumer.connect();

        core::RelayWakeup wakeup;
        core::StopToken stop;
        std::thread relayThread([&] {
            core::OutboxRelay relay(*bus.database, bus.plugins, settings, bus.metrics, 0);
            relay.run(stop, wakeup);
        });
        // A failed assertion still releases the replies and stops and joins the relay.
        struct Joined {
            test::TcpRelay& proxy;
            core::StopToken& stop;
            core::RelayWakeup& wakeup;
            std::thread& thread;
            ~Joined() {
                proxy.holdReplies(false);
                stop.requestStop();
                wakeup.wake();
                if (thread.joinable())
                    thread.join();
            }
        } joined{proxy, stop, wakeup, relayThread};
        // A first row through the whole round trip: the relay is connected and idle.
        const auto warmUp = bus.write(1, "order.placed");
        wakeup.wake();
        CPPUNIT_ASSERT_EQUAL(*warmUp.begin(), nextId(consumer));
        waitForOutboxRows(bus, 0);

        proxy.holdReplies(true);
        const auto first = bus.write(1, "order.placed");
        wakeup.wake();
        CPPUNIT_ASSERT_EQUAL(*first.begin(), nextId(consumer)); // published, its confirm held
        const auto second = bus.write(1, "order.placed");
        wakeup.wake();
        // Published while the first one's confirm is still outstanding...
        CPPUNIT_ASSERT_EQUAL(*second.begin(), nextId(consumer));
        // ...and neither row deleted before its confirm.
        CPPUNIT_ASSERT_EQUAL(2, bus.outboxRows());

        proxy.holdReplies(false);
        waitForOutboxRows(bus, 0);
        stop.requestStop();
        wakeup.wake();
        relayThread.join();
        CPPUNIT_ASSERT(!consumer.next(std::chrono::milliseconds(300))); // nothing twice
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), bus.metrics.confirmed.load());
    }

    void testAClaimLocksItsOwnRowsOnlyAndTwoClaimsSettleWithoutWaiting() {
        // Two relays' claims (MariaDB): each locks the rows it returns and nothing else (no
        // index entry of a row it skipped), so the second gets the next rows at once and each
        // settles without waiting on the other. A claim that locked more would make two
        // relays' DELETEs wait on and deadlock on each other, republishing a batch.
        Bus bus("MySQL");
        bus.write(20, "order.placed");
        core::OutboxStore store(core::Dialect::MySQL, bus.settings.outbox.table);
        auto first = bus.database->session();
        auto second = bus.database->session();
        // A wait would fail the statement after a second instead of passing unnoticed.
        *second << "SET SESSION innodb_lock_wait_timeout = 1", now;
        // The records a session's transaction holds locks on, from InnoDB's status report
        // with the locks listed: "RECORD LOCKS ... index PRIMARY ..." then one "Record lock,
        // heap no" line per record, after the "MariaDB thread id N," line. (The "N row
        // lock(s)" figure above it also counts rows a SKIP LOCKED read tried and left.)
        *first << "SET GLOBAL innodb_status_output_locks = ON", now;
        const auto recordsLockedBy = [&](Poco::Data::Session& session) {
            Poco::Int64 connection = 0;
            session << "SELECT CONNECTION_ID()", into(connection), now;
            auto observer = bus.database->session();
            const auto status =
                core::MysqlLink::selectRows(*observer, "SHOW ENGINE INNODB STATUS", "status");
            const std::string text = status.at(0).at(2).value_or("");
            const auto at = text.find("MariaDB thread id " + std::to_string(connection) + ",");
            CPPUNIT_ASSERT_MESSAGE(text, at != std::string::npos);
            const std::string block = text.substr(
                at, std::min(text.find("---TRANSACTION", at), text.find("\n--------", at)) - at);
            int records = 0;
            for (auto p = block.find("RECORD LOCKS"); p != std::string::npos;
                 p = block.find("RECORD LOCKS", p + 1))
                CPPUNIT_ASSERT_MESSAGE(
                    block, block.compare(block.find(" index ", p), 15, " index PRIMARY ") == 0);
            for (auto p = block.find("Record lock, heap no"); p != std::string::npos;
                 p = block.find("Record lock, heap no", p + 1))
                ++records;
            return records;
        };
        core::Transaction firstClaim(*first, core::Transaction::BeginsWithNextQuery{});
        const auto firstRows = store.claimDue(*first, 5, core::nowMillis(), {}, true);
        core::Transaction secondClaim(*second, core::Transaction::BeginsWithNextQuery{});
        const auto secondRows = store.claimDue(*second, 5, core::nowMillis(), {}, true);
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), firstRows.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), secondRows.size());
        std::set<std::int64_t> seqs;
        for (const auto* rows : {&firstRows, &secondRows})
            for (const auto& row : *rows)
                seqs.insert(row.seq);
        CPPUNIT_ASSERT_EQUAL(std::size_t(10), seqs.size()); // disjoint
        CPPUNIT_ASSERT_EQUAL(5, recordsLockedBy(*first));
        CPPUNIT_ASSERT_EQUAL(5, recordsLockedBy(*second));
        const auto seqsOf = [](const std::vector<core::OutboxRow>& rows) {
            std::vector<std::int64_t> out;
            for (const auto& row : rows)
                out.push_back(row.seq);
            return out;
        };
        store.remove(*second, seqsOf(secondRows)); // while the first claim holds its rows
        secondClaim.commit();
        store.remove(*first, seqsOf(firstRows));
        firstClaim.commit();
        CPPUNIT_ASSERT_EQUAL(10, bus.outboxRows());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OutboxRelayTest);
