// The outbox's audit trail (outbox.keep_delivered) against real MariaDB/SQLite and RabbitMQ:
// confirmed rows are kept with their route, outbox:list shows them, outbox:replay sends them
// again with the same ids, cleanup:outbox removes old ones (from two hosts at once), and a
// million kept rows leave the relay's claim plan alone.
#include "core/db/Transaction.h"
#include "core/outbox/DeliveredStore.h"
#include "core/outbox/OutboxRelay.h"
#include "core/util/StopToken.h"
#include "support/ScratchBus.h"
#include "support/TestEnv.h"

#include <msgbus/OutboxWriter.h>

#include <Poco/Data/RecordSet.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>

#include <cppunit/extensions/HelperMacros.h>

#include <regex>
#include <set>
#include <thread>

using namespace msgbus;
using namespace Poco::Data::Keywords;

class OutboxAuditTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OutboxAuditTest);
    CPPUNIT_TEST(testConfirmedRowsAreKeptWithTheirRouteOnMariaDb);
    CPPUNIT_TEST(testConfirmedRowsAreKeptWithTheirRouteOnSqlite);
    CPPUNIT_TEST(testWithoutTheKeyConfirmedRowsAreDeleted);
    CPPUNIT_TEST(testAMissingDeliveredTableCostsTheRecordNotTheDelivery);
    CPPUNIT_TEST(testADeliveredTableDroppedUnderARelayCostsTheRecordNotTheDelivery);
    CPPUNIT_TEST(testARefusedRecordBetweenGoodOnesCostsTheRecordNotTheDelivery);
    CPPUNIT_TEST(testRouteTextIsStoredWhateverItsBytes);
    CPPUNIT_TEST(testOutboxListShowsPendingAndDeliveredRows);
    CPPUNIT_TEST(testReplaySendsTheSameIdsAgainOnMariaDb);
    CPPUNIT_TEST(testReplaySendsTheSameIdsAgainOnSqlite);
    CPPUNIT_TEST(testBadArgumentsExitTwoNamingTheFlag);
    CPPUNIT_TEST(testCleanupFromTwoHostsAtOnceRemovesEachOldRowOnce);
    CPPUNIT_TEST(testProgressShowsOnATerminalOnly);
    CPPUNIT_TEST(testAMillionDeliveredRowsLeaveTheClaimPlanAlone);
    CPPUNIT_TEST_SUITE_END();

    struct Bus : test::ScratchBus {
        explicit Bus(const std::string& connector, std::map<std::string, std::string> extra = {})
            : ScratchBus("audit") {
            extra.emplace("outbox.keep_delivered", "true");
            open(connector, extra, "order.#");
        }

        /// Runs a relay until confirmed reaches the given total.
        void relayUntilConfirmed(std::uint64_t total) {
            core::StopToken stop;
            std::thread relayThread([&] {
                core::OutboxRelay relay(*database, plugins, core::relaySettingsOf(settings),
                                        metrics, 0);
                relay.run(stop);
            });
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
            while (metrics.confirmed.load() < total && std::chrono::steady_clock::now() < deadline)
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            stop.requestStop();
            relayThread.join();
            CPPUNIT_ASSERT_EQUAL(total, metrics.confirmed.load());
        }

        std::string delivered() const { return core::deliveredTableOf(settings.outbox.table); }
        int outboxRows() { return count("SELECT COUNT(*) FROM " + settings.outbox.table); }
        int deliveredRows() { return count("SELECT COUNT(*) FROM " + delivered()); }

        /// Runs `msgbus arguments` on the bus's tables; returns its stdout (with stderr too
        /// when withErrors).
        std::string msgbus(const std::string& arguments, int expectedExit = 0,
                           bool withErrors = false) {
            const std::string command = test::msgbusBinary() + " " + arguments + " --config " +
                                        writeConfig(test::tempDir("audit"));
            std::string output;
            const int rc = withErrors ? test::runCommand(command, &output)
                                      : test::runCommandStdout(command, &output);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(arguments + ": " + output, expectedExit, rc);
            return output;
        }
    };

    void confirmedRowsAreKept(const std::string& connector) {
        Bus bus(connector);
        auto placed = bus.writeOutbox(250, "order.placed");
        auto shipped = bus.writeOutbox(50, "order.shipped");
        bus.relayUntilConfirmed(300);
        CPPUNIT_ASSERT_EQUAL(0, bus.outboxRows());
        CPPUNIT_ASSERT_EQUAL(300, bus.deliveredRows());
        auto session = bus.database->session();
        std::vector<std::string> names, exchanges, keys;
        std::vector<Poco::Int64> deliveredAt, attempts;
        *session << "SELECT message_name, exchange, routing_key, delivered_at, attempts FROM " +
                        bus.delivered(),
            into(names), into(exchanges), into(keys), into(deliveredAt), into(attempts), now;
        for (std::size_t i = 0; i < names.size(); ++i) {
            CPPUNIT_ASSERT_EQUAL(bus.exchange, exchanges[i]);
            CPPUNIT_ASSERT_EQUAL(names[i], keys[i]); // the routing plugin routes by name
            CPPUNIT_ASSERT(deliveredAt[i] > 0);
            CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), attempts[i]);
        }
        // Every written id reached the queue once and is on record once.
        auto received = bus.drainMessageIds();
        CPPUNIT_ASSERT_EQUAL(std::size_t(300), received.size());
        auto listed = Poco::JSON::Parser()
                          .parse(bus.msgbus("outbox:list --status delivered --limit 1000 --json"))
                          .extract<Poco::JSON::Object::Ptr>();
        std::set<std::string> onRecord;
        auto rows = listed->getArray("rows");
        for (std::size_t i = 0; i < rows->size(); ++i)
            onRecord.insert(
                rows->getObject(static_cast<unsigned>(i))->getValue<std::string>("message_id"));
        std::set<std::string> written(placed.begin(), placed.end());
        written.insert(shipped.begin(), shipped.end());
        CPPUNIT_ASSERT(written == onRecord);
        CPPUNIT_ASSERT(written == std::set<std::string>(received.begin(), received.end()));
    }

public:
    void testConfirmedRowsAreKeptWithTheirRouteOnMariaDb() { confirmedRowsAreKept("MySQL"); }
    void testConfirmedRowsAreKeptWithTheirRouteOnSqlite() { confirmedRowsAreKept("SQLite"); }

    void testWithoutTheKeyConfirmedRowsAreDeleted() {
        Bus bus("MySQL", {{"outbox.keep_delivered", "false"}});
        bus.writeOutbox(40, "order.placed");
        bus.relayUntilConfirmed(40);
        CPPUNIT_ASSERT_EQUAL(0, bus.outboxRows());
        CPPUNIT_ASSERT_EQUAL(0, bus.deliveredRows());
    }

    void testAMissingDeliveredTableCostsTheRecordNotTheDelivery() {
        // An operator turned the key on without `msgbus setup`: the outbox must keep flowing.
        Bus bus("MySQL");
        {
            auto session = bus.database->session();
            *session << "DROP TABLE " + bus.delivered(), now;
        }
        bus.writeOutbox(60, "order.placed");
        bus.relayUntilConfirmed(60);
        CPPUNIT_ASSERT_EQUAL(0, bus.outboxRows());
        CPPUNIT_ASSERT_EQUAL(std::size_t(60), bus.drainMessageIds().size());
        // The commands say what is missing instead of failing obscurely.
        const std::string out = bus.msgbus("cleanup:outbox --older-than 1d", 1, true);
        CPPUNIT_ASSERT_MESSAGE(out,
                               out.find(bus.delivered() + " does not exist") != std::string::npos);
    }

    void testADeliveredTableDroppedUnderARelayCostsTheRecordNotTheDelivery() {
        Bus bus("SQLite");
        core::OutboxRelay relay(*bus.database, bus.plugins, core::relaySettingsOf(bus.settings),
                                bus.metrics, 0);
        bus.writeOutbox(10, "order.placed");
        CPPUNIT_ASSERT_EQUAL(10, relay.relayBatch());
        CPPUNIT_ASSERT_EQUAL(10, bus.deliveredRows());
        {
            auto session = bus.database->session();
            *session << "DROP TABLE " + bus.delivered(), now;
        }
        bus.writeOutbox(15, "order.placed");
        CPPUNIT_ASSERT_EQUAL(15, relay.relayBatch());
        CPPUNIT_ASSERT_EQUAL(0, bus.outboxRows());
        CPPUNIT_ASSERT_EQUAL(std::size_t(25), bus.drainMessageIds().size());
    }

    void testARefusedRecordBetweenGoodOnesCostsTheRecordNotTheDelivery() {
        // The delivered table refuses one message's record (a trigger stands in for whatever a
        // database may refuse): the batch's records are lost, but every message, the poison
        // and its neighbours, is delivered once and leaves the outbox; later batches are kept.
        Bus bus("MySQL");
        {
            auto session = bus.database->session();
            *session << "CREATE TRIGGER refuse_poison BEFORE INSERT ON " + bus.delivered() +
                            " FOR EACH ROW BEGIN IF NEW.message_name = 'order.poison' THEN "
                            "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no record for you'; "
                            "END IF; END",
                now;
        }
        auto ids = bus.writeOutbox(20, "order.placed");
        auto poison = bus.writeOutbox(1, "order.poison");
        auto after = bus.writeOutbox(20, "order.placed");
        bus.relayUntilConfirmed(41);
        CPPUNIT_ASSERT_EQUAL(0, bus.outboxRows());
        auto received = bus.drainMessageIds();
        CPPUNIT_ASSERT_EQUAL(std::size_t(41), received.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), received.count(poison[0]));
        for (const auto& id : ids)
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), received.count(id));
        for (const auto& id : after)
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), received.count(id));
        // The relay still keeps records: the next batch is on record.
        auto later = bus.writeOutbox(5, "order.placed");
        bus.relayUntilConfirmed(46);
        CPPUNIT_ASSERT_EQUAL(0, bus.outboxRows());
        for (const auto& id : later)
            CPPUNIT_ASSERT_EQUAL(1, bus.count("SELECT COUNT(*) FROM " + bus.delivered() +
                                              " WHERE message_id = UNHEX('" +
                                              Poco::replace(id, "-", "") + "')"));
    }

    void testRouteTextIsStoredWhateverItsBytes() {
        // A routing key is any bytes on the wire and up to 255 of them; the record's text
        // columns must take it (lossy), or the settle would fail and the batch go out again.
        for (const std::string connector : {"MySQL", "SQLite"}) {
            Bus bus(connector);
            auto ids = bus.writeOutbox(2, "order.placed");
            auto session = bus.database->session();
            std::vector<Poco::Int64> seqs;
            *session << "SELECT seq FROM " + bus.settings.outbox.table + " ORDER BY seq",
                into(seqs), now;
            core::DeliveredStore store(bus.database->dialect(), bus.settings.outbox.table);
            const std::string invalid = "ex\xff\xfe\"\\";
            const std::string longKey = std::string(254, 'k') + "\xc3\xa9\xc3\xa9";
            store.record(*session, {{seqs[0], invalid, longKey}, {seqs[1], "", "a\x01z"}}, 42);
            std::vector<std::string> exchanges, keys;
            *session << "SELECT exchange, routing_key FROM " + bus.delivered() + " ORDER BY id",
                into(exchanges), into(keys), now;
            CPPUNIT_ASSERT_EQUAL(std::size_t(2), exchanges.size());
            CPPUNIT_ASSERT_EQUAL(std::string("ex\xef\xbf\xbd\xef\xbf\xbd\"\\"), exchanges[0]);
            CPPUNIT_ASSERT_EQUAL(std::string(254, 'k'), keys[0]); // cut before a whole character
            CPPUNIT_ASSERT_EQUAL(std::string(""), exchanges[1]);
            CPPUNIT_ASSERT_EQUAL(std::string("a\x01z"), keys[1]);
        }
    }

    void testOutboxListShowsPendingAndDeliveredRows() {
        Bus bus("SQLite");
        auto sent = bus.writeOutbox(3, "order.placed");
        bus.relayUntilConfirmed(3);
        auto waiting = bus.writeOutbox(2, "order.shipped");
        const std::string table = bus.msgbus("outbox:list");
        CPPUNIT_ASSERT_MESSAGE(table,
                               table.find("2 pending, 3 delivered row(s)") != std::string::npos);
        CPPUNIT_ASSERT(table.find(sent[0]) != std::string::npos);
        CPPUNIT_ASSERT(table.find(waiting[1]) != std::string::npos);

        auto parse = [](const std::string& text) {
            return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
        };
        auto one = parse(bus.msgbus("outbox:list --id " + sent[1] + " --json"));
        CPPUNIT_ASSERT_EQUAL(1, one->getValue<int>("count"));
        auto row = one->getArray("rows")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("delivered"), row->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(sent[1], row->getValue<std::string>("message_id"));
        CPPUNIT_ASSERT_EQUAL(bus.exchange, row->getValue<std::string>("exchange"));
        CPPUNIT_ASSERT_EQUAL(std::string("order.placed"),
                             row->getValue<std::string>("routing_key"));

        auto shipped = parse(bus.msgbus("outbox:list --name order.shipped --since 1h --json"));
        CPPUNIT_ASSERT_EQUAL(2, shipped->getValue<int>("count"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("pending"),
            shipped->getArray("rows")->getObject(0)->getValue<std::string>("status"));
        auto limited = parse(bus.msgbus("outbox:list --limit 4 --json"));
        CPPUNIT_ASSERT_EQUAL(4, limited->getValue<int>("count"));
        CPPUNIT_ASSERT(limited->getValue<bool>("truncated"));
        // A window in the future, as an ISO-8601 time: nothing.
        auto future = parse(bus.msgbus("outbox:list --since 2999-01-01T00:00:00Z --json"));
        CPPUNIT_ASSERT_EQUAL(0, future->getValue<int>("count"));
    }

    void replaySendsTheSameIdsAgain(const std::string& connector) {
        Bus bus(connector);
        auto placed = bus.writeOutbox(5, "order.placed");
        auto shipped = bus.writeOutbox(4, "order.shipped");
        bus.relayUntilConfirmed(9);
        CPPUNIT_ASSERT_EQUAL(std::size_t(9), bus.drainMessageIds().size());

        // By id: those two again, nothing else; an id never delivered makes exit 1.
        std::string out = bus.msgbus("outbox:replay " + placed[0] + " " + placed[3]);
        CPPUNIT_ASSERT_MESSAGE(out, out.find("replayed 2 message(s)") != std::string::npos);
        out = bus.msgbus("outbox:replay " + placed[1] + " 01a21651-0000-7000-8000-000000000001", 1);
        CPPUNIT_ASSERT_MESSAGE(out, out.find("replayed 1 message(s)") != std::string::npos);
        // Replaying what is pending already writes nothing twice.
        out = bus.msgbus("outbox:replay " + placed[0]);
        CPPUNIT_ASSERT_MESSAGE(out, out.find("replayed 0 message(s)") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(3, bus.outboxRows());
        // By name and window, previewed first.
        out = bus.msgbus("outbox:replay --name order.shipped --since 1h --dry-run");
        CPPUNIT_ASSERT_MESSAGE(out, out.find("would replay 4 deliveries") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(3, bus.outboxRows());
        out = bus.msgbus(
            "outbox:replay --name order.shipped --since 1h --until 2999-01-01 --batch-size 3");
        CPPUNIT_ASSERT_MESSAGE(out, out.find("replayed 4 message(s)") != std::string::npos);

        bus.relayUntilConfirmed(9 + 7);
        auto again = bus.drainMessageIds();
        std::multiset<std::string> expected{placed[0], placed[1], placed[3]};
        expected.insert(shipped.begin(), shipped.end());
        CPPUNIT_ASSERT(expected == again);
        // Each delivery is on record: the replayed ones twice.
        CPPUNIT_ASSERT_EQUAL(16, bus.deliveredRows());
    }

    void testReplaySendsTheSameIdsAgainOnMariaDb() { replaySendsTheSameIdsAgain("MySQL"); }
    void testReplaySendsTheSameIdsAgainOnSqlite() { replaySendsTheSameIdsAgain("SQLite"); }

    void testBadArgumentsExitTwoNamingTheFlag() {
        Bus bus("SQLite");
        auto expectUsage = [&](const std::string& arguments, const std::string& named) {
            std::string output;
            const int rc = test::runCommand(test::msgbusBinary() + " " + arguments + " --config " +
                                                bus.writeConfig(test::tempDir("audit")),
                                            &output);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(arguments + ": " + output, 2, rc);
            CPPUNIT_ASSERT_MESSAGE(arguments + ": " + output,
                                   output.find(named) != std::string::npos);
        };
        expectUsage("outbox:list --since yesterday", "--since 'yesterday'");
        expectUsage("outbox:list --until 2026-02-30", "--until '2026-02-30'");
        expectUsage("outbox:list --since 1h --until 2h", "--until must be later");
        expectUsage("outbox:list --limit 0", "--limit");
        expectUsage("outbox:list --status sent", "--status 'sent'");
        expectUsage("outbox:list --id not-an-id", "'not-an-id' is not a message id");
        expectUsage("outbox:list --colour red", "--colour");
        expectUsage("outbox:replay", "give message ids");
        expectUsage("outbox:replay --name order.placed", "--since");
        expectUsage("outbox:replay 01a21651-76cc-7a79-bdad-ec10a3746f8e --name x --since 1h",
                    "not both");
        expectUsage("outbox:replay 12345", "'12345' is not a message id");
        expectUsage("cleanup:outbox", "--older-than");
        expectUsage("cleanup:outbox --older-than 7", "--older-than '7'");
        expectUsage("cleanup:outbox --older-than 7d --batch-size -1", "--batch-size");
    }

    void testCleanupFromTwoHostsAtOnceRemovesEachOldRowOnce() {
        Bus bus("MySQL");
        const std::int64_t day = 86400000;
        const std::int64_t nowMs =
            static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
        {
            auto session = bus.database->session();
            // 6000 deliveries 8 to 14 days old and 150 from the last hour (MariaDB's sequence
            // engine makes the rows).
            Poco::Int64 old = nowMs - 14 * day;
            Poco::Int64 recent = nowMs - 3600000;
            const std::string insert =
                "INSERT INTO " + bus.delivered() +
                " (message_id, message_name, headers, body, created_at, delivered_at, exchange, "
                "routing_key) SELECT UNHEX(REPLACE(UUID(), '-', '')), 'order.placed', '{}', "
                "'x', ?, ? + seq * ?, 'ex', 'order.placed' FROM ";
            Poco::Int64 oldStep = 6 * day / 6000;
            Poco::Int64 recentStep = 1000;
            *session << insert + "seq_1_to_6000", use(old), use(old), use(oldStep), now;
            *session << insert + "seq_1_to_150", use(recent), use(recent), use(recentStep), now;
        }
        const std::string config = bus.writeConfig(test::tempDir("audit"));
        const std::string command = test::msgbusBinary() +
                                    " cleanup:outbox --older-than 7d --batch-size 200 --config " +
                                    config;
        std::string output;
        const int rc = test::runCommandStdout(
            "(" + command + " & " + command + " & wait) 2>/dev/null", &output);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, rc);
        std::regex removed(R"(removed (\d+) delivered row)");
        int total = 0, hosts = 0;
        for (std::sregex_iterator it(output.begin(), output.end(), removed), end; it != end;
             ++it, ++hosts)
            total += std::stoi((*it)[1].str());
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 2, hosts);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 6000, total);
        CPPUNIT_ASSERT_EQUAL(150, bus.deliveredRows());
    }

    void testProgressShowsOnATerminalOnly() {
        Bus bus("SQLite");
        auto sent = bus.writeOutbox(30, "order.placed");
        bus.relayUntilConfirmed(30);
        const std::string replay = test::msgbusBinary() +
                                   " outbox:replay --name order.placed --since 1h --config " +
                                   bus.writeConfig(test::tempDir("audit"));
        // Not a terminal (a pipe, cron): the result line and nothing else.
        std::string plain;
        CPPUNIT_ASSERT_EQUAL(0, test::runCommand(replay + " 2>&1 | cat", &plain));
        CPPUNIT_ASSERT_MESSAGE(plain, plain.find("replaying:") == std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(plain, plain.find("replayed 30 message(s)") != std::string::npos);
        bus.relayUntilConfirmed(60);
        // On a terminal (script(1) gives the command one): the count as it goes.
        std::string onTerminal;
        CPPUNIT_ASSERT_EQUAL(
            0, test::runCommand("script -qec " + test::shellQuoted(replay) + " /dev/null",
                                &onTerminal));
        CPPUNIT_ASSERT_MESSAGE(onTerminal, onTerminal.find("replaying: ") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(onTerminal, onTerminal.find("/60") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(onTerminal,
                               onTerminal.find("replayed 30 message(s)") != std::string::npos);
    }

    void testAMillionDeliveredRowsLeaveTheClaimPlanAlone() {
        Bus bus("MySQL");
        {
            auto session = bus.database->session();
            *session << "INSERT INTO " + bus.delivered() +
                            " (message_id, message_name, headers, body, created_at, "
                            "delivered_at, exchange, routing_key) SELECT "
                            "UNHEX(LPAD(HEX(seq), 32, '0')), 'order.placed', '{}', 'x', seq, "
                            "seq, 'ex', 'order.placed' FROM seq_1_to_1000000",
                now;
            *session << "ANALYZE TABLE " + bus.delivered(), now;
        }
        CPPUNIT_ASSERT_EQUAL(1000000, bus.deliveredRows());
        bus.writeOutbox(500, "order.placed");
        auto explain = [&](const std::string& sql) {
            auto session = bus.database->session();
            Poco::Data::Statement statement(*session);
            statement << "EXPLAIN " + sql;
            statement.execute();
            Poco::Data::RecordSet rs(statement);
            CPPUNIT_ASSERT(rs.moveFirst());
            return std::make_pair(rs["key"].isEmpty() ? "" : rs["key"].convert<std::string>(),
                                  rs["rows"].isEmpty() ? 0 : rs["rows"].convert<long long>());
        };
        // The claim's candidate scan: the outbox's own index, a range of the due rows only.
        auto claim = explain("SELECT seq FROM " + bus.settings.outbox.table + " FORCE INDEX (ix_" +
                             bus.settings.outbox.table +
                             "_available) WHERE available_at <= 9999999999999 ORDER BY "
                             "available_at, seq LIMIT 1000");
        CPPUNIT_ASSERT_EQUAL("ix_" + bus.settings.outbox.table + "_available", claim.first);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(claim.second), claim.second <= 1000);
        // The cleanup and a window walk the delivered table's time index, not the million.
        auto cleanup = explain("DELETE FROM " + bus.delivered() +
                               " WHERE delivered_at < 1000 ORDER BY delivered_at LIMIT 1000");
        CPPUNIT_ASSERT_EQUAL("ix_" + bus.delivered() + "_time", cleanup.first);
        auto byId = explain("SELECT id FROM " + bus.delivered() +
                            " WHERE message_id = UNHEX(LPAD(HEX(77), 32, '0'))");
        CPPUNIT_ASSERT_EQUAL("ix_" + bus.delivered() + "_message_id", byId.first);
        // And the relay moves the pending rows as always.
        bus.relayUntilConfirmed(500);
        CPPUNIT_ASSERT_EQUAL(0, bus.outboxRows());
        CPPUNIT_ASSERT_EQUAL(1000500, bus.deliveredRows());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OutboxAuditTest);
