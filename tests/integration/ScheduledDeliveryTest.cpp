// Scheduled delivery (Message::setDeliverAt/setDelay, `msgbus publish --delay`, outbox:cancel)
// against real MariaDB/SQLite and RabbitMQ: a delayed message never leaves before its time and
// does leave soon after it (the relay wakes for it, not at its next poll); a cancellation
// before the time removes it and is audited; a due, claimed or delivered row is never
// cancelled; in an ordered outbox a delayed message holds back nothing of its key; and a
// million future rows leave the claim reading the due rows only.
#include "core/amqp/AmqpConsumer.h"
#include "core/amqp/AmqpUrl.h"
#include "core/db/Transaction.h"
#include "core/failed/ActionAudit.h"
#include "core/outbox/DueTimeWatch.h"
#include "core/outbox/OutboxRelay.h"
#include "core/outbox/OutboxStore.h"
#include "core/util/Clock.h"
#include "core/util/StopToken.h"
#include "support/ScratchBus.h"
#include "support/TestEnv.h"

#include <msgbus/Error.h>
#include <msgbus/OutboxWriter.h>

#include <Poco/Data/RecordSet.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

#include <future>
#include <map>
#include <regex>
#include <thread>

using namespace msgbus;
using namespace Poco::Data::Keywords;

class ScheduledDeliveryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ScheduledDeliveryTest);
    CPPUNIT_TEST(testDelayedMessageLeavesAtItsTimeNotBeforeOnMariaDb);
    CPPUNIT_TEST(testDelayedMessageLeavesAtItsTimeNotBeforeOnSqlite);
    CPPUNIT_TEST(testDeliveryTimeIsKeptOutOfTheStoredHeaders);
    CPPUNIT_TEST(testPublishDelayAndCancelBeforeDueOnMariaDb);
    CPPUNIT_TEST(testPublishDelayAndCancelBeforeDueOnSqlite);
    CPPUNIT_TEST(testDueAndDeliveredRowsAreNotCancelled);
    CPPUNIT_TEST(testRelayThatClaimsTheRowMeanwhileWinsOverTheCancel);
    CPPUNIT_TEST(testDelayedMessageHoldsBackNothingOfItsKeyOnMariaDb);
    CPPUNIT_TEST(testDelayedMessageHoldsBackNothingOfItsKeyOnSqlite);
    CPPUNIT_TEST(testDueTimeWatchShortensTheSleepToTheNextDueRow);
    CPPUNIT_TEST(testAMillionFutureRowsLeaveTheClaimReadingTheDueRowsOnly);
    CPPUNIT_TEST_SUITE_END();

    struct Bus : test::ScratchBus {
        explicit Bus(const std::string& connector, std::map<std::string, std::string> extra = {})
            : ScratchBus("sched") {
            open(connector, extra, "order.#");
        }

        /// Writes the messages in one transaction; returns their ids in order.
        std::vector<std::string> write(std::vector<Message> messages) {
            auto session = database->session();
            core::Transaction tx(*session, database->dialect());
            OutboxWriter writer(*session, {settings.outbox.table, settings.outbox.maxBodyBytes});
            std::vector<std::string> ids;
            for (auto& id : writer.write(messages))
                ids.push_back(id.toString());
            tx.commit();
            return ids;
        }

        int outboxRows() { return count("SELECT COUNT(*) FROM " + settings.outbox.table); }

        /// Runs `msgbus arguments` on the bus's tables; output holds stdout and stderr.
        int msgbus(const std::string& arguments, std::string& output) {
            return test::runCommand(test::msgbusBinary() + " " + arguments + " --config " +
                                        writeConfig(test::tempDir("sched")),
                                    &output);
        }
    };

    /// Receives from the bus's queue until every id arrived or the deadline passed; returns
    /// each id's receive time (ms since the epoch) and payload field "n", in arrival order.
    struct Arrival {
        std::string id;
        std::int64_t at = 0;
        int n = -1;
    };
    static std::vector<Arrival> receive(Bus& bus, std::size_t expected,
                                        std::chrono::seconds deadline) {
        core::amqp::AmqpConsumer::Options options;
        options.queue = bus.queue;
        options.prefetch = 100;
        core::amqp::AmqpConsumer consumer(core::amqp::AmqpUrl::parse(test::amqpUrl()), options);
        consumer.connect();
        std::vector<Arrival> out;
        const auto end = std::chrono::steady_clock::now() + deadline;
        while (out.size() < expected && std::chrono::steady_clock::now() < end) {
            auto d = consumer.next(std::chrono::milliseconds(200));
            if (!d)
                continue;
            Arrival a{d->wire.header("x-message-id")->text, core::nowMillis(), -1};
            auto body = Poco::JSON::Parser().parse(d->wire.body).extract<Poco::JSON::Object::Ptr>();
            if (body->has("n"))
                a.n = body->getValue<int>("n");
            out.push_back(a);
            consumer.ack(d->deliveryTag, false, d->connectionEpoch);
        }
        return out;
    }

    static Message numbered(int n, const std::optional<std::string>& key = std::nullopt) {
        Message m("order.placed", R"({"n":)" + std::to_string(n) + "}");
        if (key)
            m.setPartitionKey(*key);
        return m;
    }

    void delayedLeavesAtItsTime(const std::string& connector) {
        // The longest poll interval: a relay that slept it whole would miss the deadline below,
        // so the message's arrival shows that the relay woke for its delivery time.
        Bus bus(connector, {{"outbox.poll_interval_ms", "60000"}});
        Message delayed = numbered(1);
        delayed.setDelay(std::chrono::seconds(2));
        const std::int64_t deliverAt = *delayed.deliverAt();
        const auto ids = bus.write({numbered(0), delayed});
        core::StopToken stop;
        std::thread relayThread([&] {
            core::OutboxRelay relay(*bus.database, bus.plugins, core::relaySettingsOf(bus.settings),
                                    bus.metrics, 0);
            relay.run(stop);
        });
        const auto arrivals = receive(bus, 2, std::chrono::seconds(30));
        stop.requestStop();
        relayThread.join();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), arrivals.size());
        CPPUNIT_ASSERT_EQUAL(ids[0], arrivals[0].id);
        CPPUNIT_ASSERT_EQUAL(ids[1], arrivals[1].id);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(arrivals[1].at) + " vs " + std::to_string(deliverAt),
                               arrivals[1].at >= deliverAt);
        CPPUNIT_ASSERT_EQUAL(0, bus.outboxRows());
    }

    void publishDelayAndCancel(const std::string& connector) {
        Bus bus(connector);
        std::string out;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(
            out, 0, bus.msgbus("publish order.placed '{\"n\":1}' --delay 1h", out));
        std::smatch printed;
        CPPUNIT_ASSERT_MESSAGE(out, std::regex_search(out, printed, std::regex("[0-9a-f-]{36}")));
        const std::string id = printed.str();
        Poco::Int64 availableAt = 0;
        {
            auto session = bus.database->session();
            *session << "SELECT available_at FROM " + bus.settings.outbox.table, into(availableAt),
                now;
        }
        const std::int64_t inAnHour = core::nowMillis() + 3600 * 1000;
        CPPUNIT_ASSERT(availableAt > inAnHour - 60 * 1000 && availableAt <= inAnHour);
        // outbox:list shows when it is due.
        CPPUNIT_ASSERT_EQUAL(0, bus.msgbus("outbox:list --status pending", out));
        CPPUNIT_ASSERT_MESSAGE(out, out.find("DUE") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(out, out.find(id) != std::string::npos);

        CPPUNIT_ASSERT_EQUAL_MESSAGE(out, 0, bus.msgbus("outbox:cancel " + id, out));
        CPPUNIT_ASSERT_MESSAGE(out, out.find("cancelled 1 message(s)") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(0, bus.outboxRows());
        // In the audit trail, like the failed:* commands.
        auto session = bus.database->session();
        auto entries = core::ActionAudit(bus.database->dialect(), bus.settings.failedTable)
                           .list(*session, std::nullopt, 10);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), entries.size());
        CPPUNIT_ASSERT_EQUAL(std::string("cancel"), entries[0].action);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), entries[0].done);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), entries[0].refused);
        CPPUNIT_ASSERT_MESSAGE(entries[0].filterJson,
                               entries[0].filterJson.find(id) != std::string::npos);
    }

    void delayedHoldsBackNothing(const std::string& connector) {
        // Key k: 0 at once, 1 in an hour, 2 at once. 0 and 2 leave at once, in their order; 1
        // takes its place when it falls due. A message waiting for its time is no failure:
        // holding its key back would stall the key for the whole delay (hours, days).
        // One relay, owning every lane.
        Bus bus(connector,
                {{"outbox.ordered", "true"}, {"outbox.lanes", "4"}, {"outbox.workers", "1"}});
        Message delayed = numbered(1, "k");
        delayed.setDelay(std::chrono::hours(1));
        bus.write({numbered(0, "k"), delayed, numbered(2, "k"), numbered(3)});
        core::OutboxRelay relay(*bus.database, bus.plugins, core::relaySettingsOf(bus.settings),
                                bus.metrics, 0);
        CPPUNIT_ASSERT_EQUAL(3, relay.relayBatch());
        CPPUNIT_ASSERT_EQUAL(0, relay.relayBatch());
        CPPUNIT_ASSERT_EQUAL(1, bus.outboxRows());
        // The hour passes.
        {
            auto session = bus.database->session();
            *session << "UPDATE " + bus.settings.outbox.table +
                            " SET available_at = " + std::to_string(core::nowMillis() - 1),
                now;
        }
        CPPUNIT_ASSERT_EQUAL(1, relay.relayBatch());
        const auto arrivals = receive(bus, 4, std::chrono::seconds(30));
        std::vector<int> order;
        for (const auto& a : arrivals)
            order.push_back(a.n);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), order.size());
        CPPUNIT_ASSERT((order == std::vector<int>{0, 2, 3, 1}));
    }

public:
    void testDelayedMessageLeavesAtItsTimeNotBeforeOnMariaDb() { delayedLeavesAtItsTime("MySQL"); }
    void testDelayedMessageLeavesAtItsTimeNotBeforeOnSqlite() { delayedLeavesAtItsTime("SQLite"); }
    void testPublishDelayAndCancelBeforeDueOnMariaDb() { publishDelayAndCancel("MySQL"); }
    void testPublishDelayAndCancelBeforeDueOnSqlite() { publishDelayAndCancel("SQLite"); }
    void testDelayedMessageHoldsBackNothingOfItsKeyOnMariaDb() { delayedHoldsBackNothing("MySQL"); }
    void testDelayedMessageHoldsBackNothingOfItsKeyOnSqlite() { delayedHoldsBackNothing("SQLite"); }

    void testDeliveryTimeIsKeptOutOfTheStoredHeaders() {
        Bus bus("SQLite");
        Message m = numbered(0);
        m.setHeader("correlation-id", "c-1");
        m.setDeliverAt(std::chrono::system_clock::now() + std::chrono::hours(2));
        bus.write({m});
        auto session = bus.database->session();
        std::string headers;
        *session << "SELECT headers FROM " + bus.settings.outbox.table, into(headers), now;
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"correlation-id":"c-1"})"), headers);
        // A malformed delivery time is refused where the message enters.
        Message bad = numbered(1);
        bad.setHeader(Message::kDeliverAtHeader, "soon");
        CPPUNIT_ASSERT_THROW(bus.write({bad}), InvalidArgument);
    }

    void testDueAndDeliveredRowsAreNotCancelled() {
        Bus bus("MySQL");
        Message later = numbered(1);
        later.setDelay(std::chrono::hours(1));
        const auto ids = bus.write({numbered(0), later});
        std::string out;
        // The due row and an unknown id are refused, each named with why; the scheduled one in
        // the same command is cancelled; exit 1 because named rows were refused.
        const std::string unknown = Id::generate().toString();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(
            out, 1, bus.msgbus("outbox:cancel " + ids[0] + " " + ids[1] + " " + unknown, out));
        CPPUNIT_ASSERT_MESSAGE(out,
                               out.find("refused " + ids[0] + ": due at") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(out, out.find("refused " + unknown + ": not in the outbox") !=
                                        std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(out,
                               out.find("cancelled 1 message(s); refused 2") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(1, bus.outboxRows());
        // Once delivered, it is refused as gone.
        core::OutboxRelay relay(*bus.database, bus.plugins, core::relaySettingsOf(bus.settings),
                                bus.metrics, 0);
        CPPUNIT_ASSERT_EQUAL(1, relay.relayBatch());
        CPPUNIT_ASSERT_EQUAL(1, bus.msgbus("outbox:cancel " + ids[0], out));
        CPPUNIT_ASSERT_MESSAGE(out, out.find("not in the outbox") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), receive(bus, 1, std::chrono::seconds(30)).size());
        // Bad ids are usage errors.
        CPPUNIT_ASSERT_EQUAL(2, bus.msgbus("outbox:cancel not-an-id", out));
        CPPUNIT_ASSERT_MESSAGE(out, out.find("'not-an-id'") != std::string::npos);
    }

    void testRelayThatClaimsTheRowMeanwhileWinsOverTheCancel() {
        Bus bus("MySQL");
        Message m = numbered(0);
        m.setDelay(std::chrono::hours(1));
        const auto ids = bus.write({m});
        core::OutboxStore store(bus.database->dialect(), bus.settings.outbox.table);
        // A relay whose clock has reached the delivery time claims the row (its lock is held
        // until its batch is settled) ...
        auto relaySession = bus.database->session();
        core::Transaction claim(*relaySession, core::Dialect::MySQL);
        auto rows = store.claimDue(*relaySession, 10, core::nowMillis() + 2 * 3600 * 1000);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), rows.size());
        // ... while an operator cancels it: the DELETE waits for the relay's lock ...
        auto cancel = std::async(std::launch::async, [&] {
            auto session = bus.database->session();
            return store.cancelScheduled(*session, Id::parse(ids[0]), core::nowMillis());
        });
        // ... and the relay settles its batch (confirmed: the row is deleted).
        store.remove(*relaySession, {rows[0].seq});
        claim.commit();
        const auto outcome = cancel.get();
        CPPUNIT_ASSERT(!outcome.cancelled);
        CPPUNIT_ASSERT(!outcome.availableAt);
    }

    void testDueTimeWatchShortensTheSleepToTheNextDueRow() {
        Bus bus("MySQL");
        core::DueTimeWatch watch(*bus.database, bus.settings.outbox.table);
        using std::chrono::milliseconds;
        CPPUNIT_ASSERT_EQUAL(std::int64_t(60000), watch.sleepBefore(milliseconds(60000)).count());
        Message m = numbered(0);
        m.setDelay(std::chrono::seconds(20));
        const std::int64_t deliverAt = *m.deliverAt();
        bus.write({m, numbered(1)});
        CPPUNIT_ASSERT_EQUAL(deliverAt, *watch.nextDue(core::nowMillis()));
        const auto sleep = watch.sleepBefore(milliseconds(60000)).count();
        CPPUNIT_ASSERT_MESSAGE(std::to_string(sleep), sleep > 0 && sleep <= 20001);
        // Short intervals are slept whole: no query for them.
        CPPUNIT_ASSERT_EQUAL(std::int64_t(50), watch.sleepBefore(milliseconds(50)).count());
    }

    void testAMillionFutureRowsLeaveTheClaimReadingTheDueRowsOnly() {
        Bus bus("MySQL");
        const std::string table = bus.settings.outbox.table;
        const std::int64_t startMs = core::nowMillis();
        {
            // A million rows due in the next days, written before (lower seq than) the due ones.
            auto session = bus.database->session();
            *session << "INSERT INTO " + table +
                            " (message_id, message_name, headers, body, created_at, "
                            "available_at, attempts) SELECT UNHEX(LPAD(HEX(seq), 32, '0')), "
                            "'order.placed', '{}', '{}', " +
                            std::to_string(startMs) + ", " + std::to_string(startMs + 3600 * 1000) +
                            " + seq, 0 FROM seq_1_to_1000000",
                now;
            *session << "ANALYZE TABLE " + table, now;
        }
        std::vector<Message> due;
        for (int i = 0; i < 100; ++i)
            due.push_back(numbered(i));
        bus.write(due);
        CPPUNIT_ASSERT_EQUAL(1000100, bus.outboxRows());
        auto session = bus.database->session();
        // The claim's candidate scan (as OutboxStore::claimDue runs it): the outbox's index, a
        // range of the due rows only.
        Poco::Data::Statement explain(*session);
        explain << "EXPLAIN SELECT seq FROM " + table + " FORCE INDEX (ix_" + table +
                       "_available) WHERE available_at <= " + std::to_string(core::nowMillis()) +
                       " ORDER BY available_at, seq LIMIT 1000";
        explain.execute();
        Poco::Data::RecordSet plan(explain);
        CPPUNIT_ASSERT(plan.moveFirst());
        CPPUNIT_ASSERT_EQUAL("ix_" + table + "_available", plan["key"].convert<std::string>());
        const auto rows = plan["rows"].convert<long long>();
        CPPUNIT_ASSERT_MESSAGE(std::to_string(rows), rows <= 200);
        // And the real claim reads about as many index entries as there are due rows.
        auto handlerReads = [&] {
            Poco::Data::Statement status(*session);
            status << "SHOW SESSION STATUS LIKE 'Handler_read%'";
            status.execute();
            Poco::Data::RecordSet rs(status);
            long long total = 0;
            // Index reads only: SHOW STATUS scans a table of its own (Handler_read_rnd_next).
            for (bool more = rs.moveFirst(); more; more = rs.moveNext())
                if (rs[0].convert<std::string>() != "Handler_read_rnd_next")
                    total += rs[1].convert<long long>();
            return total;
        };
        core::OutboxStore store(bus.database->dialect(), table);
        core::Transaction tx(*session, core::Dialect::MySQL);
        const long long before = handlerReads();
        const auto claimed = store.claimDue(*session, 500, core::nowMillis());
        const long long read = handlerReads() - before;
        tx.rollback();
        CPPUNIT_ASSERT_EQUAL(std::size_t(100), claimed.size());
        CPPUNIT_ASSERT_MESSAGE(std::to_string(read), read < 2000);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ScheduledDeliveryTest);
