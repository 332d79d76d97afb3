// The round trips of an inbox batch on the real MariaDB, counted from the bytes: the processor's
// database goes through a TcpRelay that reads the MySQL commands each client sends. A batch of
// 100 messages whose batch handler publishes one message each costs a small number of round
// trips, the same as a batch of 10: the published messages are written with multi-row INSERTs
// after the batch's last handler (per-message handlers' publishes too), the session is not pinged
// or reset per borrow, and the transaction begins with its first statement and ends with one
// COMMIT. What the calls publish is all there (ids, correlation, trace), and a publish that fails,
// at its publish() or at the call's write, fails only its message.
//
// Uses the tests/plugins/batch fixture (modes described there).
#include "core/failed/FailedStore.h"
#include "core/inbox/MessageProcessor.h"
#include "support/ScratchBus.h"
#include "support/TcpRelay.h"
#include "support/TestEnv.h"

#include <cppunit/extensions/HelperMacros.h>

#include <regex>
#include <set>

using namespace msgbus;
using namespace Poco::Data::Keywords;
using core::ProcessResult;

class InboxRoundTripsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(InboxRoundTripsTest);
    CPPUNIT_TEST(testABatchOfAHundredCostsAsManyRoundTripsAsABatchOfTen);
    CPPUNIT_TEST(testEveryPublishedMessageIsWrittenWithItsCausesContext);
    CPPUNIT_TEST(testAFailingPublishFailsOnlyItsMessage);
    CPPUNIT_TEST(testPerMessageHandlersPublishInOneWrite);
    CPPUNIT_TEST(testAFailingWriteOfPerMessagePublishesFailsOnlyItsMessage);
    CPPUNIT_TEST_SUITE_END();

    /// The batch fixture's bus, its processor on a database reached through relay.
    struct Bus : test::ScratchBus {
        Bus() : ScratchBus("roundtrips"), relay(test::relayToMariaDb()) {
            open("MySQL",
                 {{"plugin.batch.library", "libmsgbus-test-batch.so"},
                  {"inbox.consumers", "batch"},
                  {"inbox.consumer.batch.queue", queue},
                  {"inbox.consumer.batch.plugins", "batch"},
                  {"retry.delay_ms", "60000"}},
                 "#", [](Poco::Data::Session& session) {
                     session << "CREATE TABLE batch_effects (seq BIGINT AUTO_INCREMENT PRIMARY "
                                "KEY, k VARCHAR(64) NOT NULL, call_id INT NOT NULL, call_size "
                                "INT NOT NULL, rerun INT NOT NULL, attempt INT NOT NULL)",
                         now;
                 });
            auto db = settings.db;
            db.connection = relay.through(db.connection);
            counted = std::make_unique<core::Database>(db);
            processor = std::make_unique<core::MessageProcessor>(
                *counted, core::pipelineSettingsOf(settings), metrics, "batch");
        }

        Message message(const std::string& key, const std::string& mode,
                        const std::string& name = "test.batch") {
            Message m(name, R"({"key":")" + key + R"(","mode":")" + mode + R"("})");
            m.setId(Id::generate());
            m.setHeader("correlation-id", "conversation-" + key);
            m.setHeader("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
            return m;
        }

        std::vector<ProcessResult> process(const std::vector<Message>& messages) {
            std::vector<WireMessage> wires;
            for (const auto& m : messages)
                wires.push_back(plugins.current()->serializer->encode(m));
            std::vector<core::InboxItem> items;
            // As the broker hands them over the first time (InboxLane marks them so).
            for (const auto& w : wires) {
                items.emplace_back(&w);
                items.back().firstDelivery = true;
            }
            return processor->processBatch(*plugins.current(), items);
        }

        std::vector<Message> batch(int n, const std::string& prefix, const std::string& mode,
                                   const std::string& name = "test.batch") {
            std::vector<Message> messages;
            for (int i = 0; i < n; ++i)
                messages.push_back(message(prefix + std::to_string(i), mode, name));
            return messages;
        }

        /// The round trips of processing messages (all handled), the session already pooled.
        int roundTripsOf(const std::vector<Message>& messages) {
            relay.resetMysqlCommands();
            for (auto r : process(messages))
                CPPUNIT_ASSERT(r == ProcessResult::Handled);
            return relay.mysqlRoundTrips();
        }

        /// The id of an outbox row written now (a message named name): a publish under it fails.
        Id takenOutboxId(const std::string& name) {
            const Id taken = Id::generate();
            auto session = database->session();
            std::vector<Message> first{Message(name, R"({"key":"first"})")};
            first.front().setId(taken);
            OutboxWriter(*session, OutboxWriter::Options{settings.outbox.table}).write(first);
            return taken;
        }

        test::TcpRelay relay;
        std::unique_ptr<core::Database> counted;
        std::unique_ptr<core::MessageProcessor> processor;
    };

public:
    void testABatchOfAHundredCostsAsManyRoundTripsAsABatchOfTen() {
        Bus bus;
        // The first batch connects (handshake, session defaults); the later ones reuse it.
        bus.roundTripsOf(bus.batch(5, "warm-", "publish"));
        const int ten = bus.roundTripsOf(bus.batch(10, "ten-", "publish"));
        const std::string tenCommands = bus.relay.describeMysqlCommands();
        const int hundred = bus.roundTripsOf(bus.batch(100, "hundred-", "publish"));
        const std::string what = "10 messages:" + tenCommands +
                                 "; 100 messages:" + bus.relay.describeMysqlCommands() +
                                 " (command byte: count)";
        // 6 on this machine: "SET autocommit = 0; INSERT" (the dedup rows, one text query that
        // also begins the transaction); the handler's INSERT and the outbox INSERT (each a
        // prepare and an execute); the dedup-row check and "COMMIT; SET autocommit = 1", one
        // text query (the check stops the COMMIT when it fails). First deliveries need no
        // duplicates' SELECT beforehand, so the dedup INSERT is the batch's first statement.
        // One more when the session had been idle long enough to be pinged (a slow moment on a
        // loaded machine).
        CPPUNIT_ASSERT_MESSAGE(what, ten <= 7);
        CPPUNIT_ASSERT_MESSAGE(what, hundred <= ten + 1);
        CPPUNIT_ASSERT_EQUAL(115, bus.count("SELECT COUNT(*) FROM " + bus.settings.outbox.table));
    }

    void testEveryPublishedMessageIsWrittenWithItsCausesContext() {
        Bus bus;
        // 250 messages: the outbox write of the call takes three statements.
        const auto causes = bus.batch(250, "c-", "publish");
        for (auto r : bus.process(causes))
            CPPUNIT_ASSERT(r == ProcessResult::Handled);
        auto session = bus.database->session();
        std::vector<std::string> headers;
        *session << "SELECT headers FROM " + bus.settings.outbox.table +
                        " WHERE message_name = 'test.batch.done'",
            into(headers), now;
        CPPUNIT_ASSERT_EQUAL(std::size_t(250), headers.size());
        CPPUNIT_ASSERT_EQUAL(
            250, bus.count("SELECT COUNT(DISTINCT message_id) FROM " + bus.settings.outbox.table));
        std::set<std::string> causesSeen;
        for (const auto& h : headers) {
            const auto at = h.find("conversation-c-");
            CPPUNIT_ASSERT_MESSAGE(h, at != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(h,
                                   h.find("0af7651916cd43dd8448eb211c80319c") != std::string::npos);
            for (const auto& c : causes)
                if (h.find(c.id().toString()) != std::string::npos)
                    causesSeen.insert(c.id().toString());
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(250), causesSeen.size());
        CPPUNIT_ASSERT_EQUAL(250, bus.count("SELECT COUNT(*) FROM batch_effects"));
    }

    void testAFailingPublishFailsOnlyItsMessage() {
        Bus bus;
        // A row already holds the id that the colliding message's publish will use: the
        // call's outbox write fails after the handler returned.
        const Id taken = bus.takenOutboxId("test.batch.done");
        auto messages = bus.batch(8, "g-", "publish");
        messages.insert(messages.begin() + 3, bus.message(taken.toString(), "collide"));
        messages.insert(messages.begin() + 6, bus.message("big", "oversized"));
        const auto results = bus.process(messages);
        for (std::size_t i = 0; i < results.size(); ++i)
            CPPUNIT_ASSERT_MESSAGE(
                std::to_string(i),
                results[i] == (i == 3 || i == 6 ? ProcessResult::Retry : ProcessResult::Handled));
        // The neighbours ran again alone and wrote and published once each.
        CPPUNIT_ASSERT_EQUAL(8, bus.count("SELECT COUNT(*) FROM batch_effects"));
        CPPUNIT_ASSERT_EQUAL(9, bus.count("SELECT COUNT(*) FROM " + bus.settings.outbox.table));
        auto session = bus.database->session();
        const auto retry = core::FailedStore(bus.database->dialect(), bus.settings.failedTable)
                               .list(*session, "retry", "", "", 100);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), retry.size());
        CPPUNIT_ASSERT_EQUAL(8, bus.count("SELECT COUNT(*) FROM " + bus.settings.dedupTable));
    }

    void testPerMessageHandlersPublishInOneWrite() {
        Bus bus;
        bus.roundTripsOf(bus.batch(5, "warm-", "publish", "test.plain"));
        const int ten = bus.roundTripsOf(bus.batch(10, "ten-", "publish", "test.plain"));
        const std::string what = bus.relay.describeMysqlCommands() + " (command byte: count)";
        // 24 on this machine: the begin with the dedup rows; each handler's own INSERT (a
        // prepare and an execute: 20); what the ten published, in one outbox INSERT (2); the
        // check with the COMMIT. A write per handler would add 18. One more for a ping.
        CPPUNIT_ASSERT_MESSAGE(what, ten <= 25);
        CPPUNIT_ASSERT_EQUAL(15, bus.count("SELECT COUNT(*) FROM batch_effects"));
        CPPUNIT_ASSERT_EQUAL(15, bus.count("SELECT COUNT(*) FROM " + bus.settings.outbox.table +
                                           " WHERE message_name = 'test.plain.done'"));
    }

    void testAFailingWriteOfPerMessagePublishesFailsOnlyItsMessage() {
        Bus bus;
        // A row already holds the id the colliding handler publishes with: the batch's one
        // outbox write fails after all its handlers returned.
        const Id taken = bus.takenOutboxId("test.plain.done");
        auto messages = bus.batch(8, "p-", "publish", "test.plain");
        messages.insert(messages.begin() + 4,
                        bus.message(taken.toString(), "collide", "test.plain"));
        const auto results = bus.process(messages);
        for (std::size_t i = 0; i < results.size(); ++i)
            CPPUNIT_ASSERT_MESSAGE(std::to_string(i),
                                   results[i] ==
                                       (i == 4 ? ProcessResult::Retry : ProcessResult::Handled));
        // The batch ran again with savepoints: each handler's work and publish once, the
        // colliding one's rolled back.
        CPPUNIT_ASSERT_EQUAL(8, bus.count("SELECT COUNT(*) FROM batch_effects"));
        CPPUNIT_ASSERT_EQUAL(8, bus.count("SELECT COUNT(*) FROM batch_effects WHERE rerun = 1"));
        CPPUNIT_ASSERT_EQUAL(9, bus.count("SELECT COUNT(*) FROM " + bus.settings.outbox.table));
        CPPUNIT_ASSERT_EQUAL(8, bus.count("SELECT COUNT(*) FROM " + bus.settings.dedupTable));
        auto session = bus.database->session();
        const auto retry = core::FailedStore(bus.database->dialect(), bus.settings.failedTable)
                               .list(*session, "retry", "", "", 100);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), retry.size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(InboxRoundTripsTest);
