// msgbus-bench: the figures of `./run bench`, each measured against the same
// services in one run, beside the raw rabbitmq-c and SQL loops that show the machine's limits.
//
// Environment: MSGBUS_TEST_MYSQL, MSGBUS_TEST_AMQP_URL (tests/support/services.sh env),
// MSGBUS_PLUGIN_DIR (<build>/lib/plugins); run-bench.sh sets them. MSGBUS_TEST_CLUSTER_URLS
// (services.sh env while the local three-node RabbitMQ cluster runs; `./run bench` starts it)
// is needed by the "quorum" figure only, which fails without it rather than being left out.
// Knobs:
//   BENCH_ONLY=raw,relay,audit,phases,latency,inbox,inboxphases,inboxbatch,e2e,quorum,console,
//   scheduled
//   a subset (default: all; soak only when named)
//   BENCH_ROWS (100000)            outbox rows per relay figure
//   BENCH_RAW_MESSAGES (100000)    raw publish loop messages; BENCH_RAW_BATCH (1000)
//   BENCH_RELAY_TIMEOUT (180)      seconds a relay figure may drain before it is cut short
//   BENCH_PHASE_ROWS (10000)       rows of the relay step breakdown
//   BENCH_RATE (1000), BENCH_SECONDS (20)   offered load of the latency figures
//   BENCH_INBOX_MESSAGES (100000), BENCH_RAW_SQL_MESSAGES (20000), BENCH_RAW_SQL_SECONDS (30)
//   BENCH_INBOX_PREFETCH (host default)   the inbox figure's consumer prefetch
//   BENCH_INBOX_PHASE_MESSAGES (20000)    messages of the inbox step breakdown
//   BENCH_BATCH_INBOX_MESSAGES (100000)   "inboxbatch": messages of the inbox with the batch
//                                 bench handler, and of each consume ceiling run beside it
//   BENCH_QUORUM_ROWS (50000)     "quorum": messages of each raw publish loop and outbox rows of
//                                 the relay (1 thread, MariaDB), into a quorum queue replicated
//                                 on the three cluster nodes; BENCH_RAW_BATCH, BENCH_BATCH,
//                                 BENCH_WINDOW and BENCH_RELAY_TIMEOUT apply as above
//   BENCH_QUORUM_INBOX_MESSAGES (50000)   "quorum": messages the inbox consumes from a quorum
//                                 queue (BENCH_INBOX_PREFETCH applies)
//   BENCH_CONSOLE_ROWS (1000000), BENCH_CONSOLE_REQUESTS (200)   "console": failed rows of the
//                                 big group, requests per measured page
//   BENCH_SCHEDULED_ROWS (10000), BENCH_SCHEDULED_SECONDS (60)   "scheduled": messages due
//                                 evenly within that many seconds, run at the default poll
//                                 interval and at 5000 ms (the relay then wakes for due rows)
//   BENCH_ORDERED_MESSAGES (50000)   "ordered" (only when named): messages of each run, the
//                                 inbox unordered and ordered with 1 % of keys failing once
//   BENCH_LOG_LEVEL (warning)      Poco log level of the host's loggers (stderr)
//   BENCH_ONLY=soak (never by default): `msgbus run` with the orders sample for
//   BENCH_SOAK_SECONDS (600) at BENCH_SOAK_RATE (2000) orders/s; see SoakBench.h
//   BENCH_ONLY=cleanup (never by default: seeding takes minutes): BENCH_CLEANUP_ROWS
//   (10000000) old deduplication rows dropped by partition, then removed by batched DELETE,
//   each by `msgbus cleanup:dedup`, with the inbox's p50/p99 at BENCH_CLEANUP_RATE (500)
//   msg/s before and during each; see cleanupComparison in Figures.h
#include "BenchEnv.h"
#include "Figures.h"
#include "SoakBench.h"

#include "core/db/Database.h"
#include "core/util/ErrorText.h"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/Data/Session.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

#include <csignal>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>
#include <set>

using namespace msgbus::bench;

namespace {

const std::set<std::string> kFigures{"raw",     "relay",       "audit",   "phases",
                                     "latency", "inboxphases", "inbox",   "inboxbatch",
                                     "e2e",     "quorum",      "console", "scheduled"};
/// Figures only BENCH_ONLY runs: the soak takes ten minutes, the cleanup's seeding as long.
const std::set<std::string> kOnRequest{"soak", "cleanup", "ordered"};

void setUpLogging() {
    Poco::AutoPtr<Poco::PatternFormatter> formatter(
        new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %p [%s] %t"));
    Poco::AutoPtr<Poco::FormattingChannel> channel(
        new Poco::FormattingChannel(formatter, new Poco::ConsoleChannel(std::cerr)));
    Poco::Logger::root().setChannel(channel);
    const char* level = std::getenv("BENCH_LOG_LEVEL");
    Poco::Logger::root().setLevel(level && *level ? level : "warning");
}

std::set<std::string> selectedFigures() {
    const char* only = std::getenv("BENCH_ONLY");
    if (!only || !*only)
        return kFigures;
    std::set<std::string> selected;
    Poco::StringTokenizer tokens(
        only, ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& token : tokens) {
        if (!kFigures.count(token) && !kOnRequest.count(token))
            throw std::runtime_error(
                "BENCH_ONLY: unknown figure '" + token +
                "' (raw, relay, audit, phases, latency, inbox, inboxphases, inboxbatch, e2e, "
                "quorum, console, scheduled, soak, cleanup, ordered)");
        selected.insert(token);
    }
    return selected;
}

/// Other client connections on the MariaDB server: a hint that someone else (e2e tests) is
/// loading the services while the bench measures.
std::int64_t otherMysqlConnections() {
    msgbus::core::Database::registerConnectors();
    Poco::Data::Session session("MySQL", mysqlConnection());
    Poco::Int64 n = 0;
    session << "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() "
               "AND USER NOT IN ('system user', 'event_scheduler')",
        Poco::Data::Keywords::into(n), Poco::Data::Keywords::now;
    return n;
}

int failures = 0;

/// Runs one figure; a failure is reported as a bench line and the next figure runs.
template <class F> auto attempt(const std::string& figure, F&& f) -> std::optional<decltype(f())> {
    try {
        return f();
    } catch (const std::exception& e) {
        ++failures;
        std::cout << "bench: " << figure << ": FAILED: " << msgbus::core::errorText(e) << std::endl;
        return std::nullopt;
    }
}

void ratioLine(const std::string& name, const std::optional<double>& relay, double raw) {
    if (!relay || raw <= 0)
        return;
    const double ratio = *relay / raw;
    reportRatio(name, ratio, std::string("target >= 0.90: ") + (ratio >= 0.9 ? "met" : "MISSED"));
}

/// Runs the raw publish loop as figure figure and adds its rate to rates (nothing on failure).
void rawPublishInto(std::vector<double>& rates, const std::string& figure, std::int64_t messages,
                    int batch, const std::string& when, const BrokerTarget& target) {
    if (auto rate =
            attempt(figure, [&] { return rawPublishWithConfirms(messages, batch, when, target); }))
        rates.push_back(*rate);
}

double mean(const std::vector<double>& values) {
    double sum = 0;
    for (double v : values)
        sum += v;
    return values.empty() ? 0 : sum / static_cast<double>(values.size());
}

/// How a ratio line names the raw loop runs it divides by.
std::string rawLabel(const std::vector<double>& raws) {
    return raws.size() > 1 ? "raw (mean of " + std::to_string(raws.size()) + ")" : "raw";
}

/// Figure 5 against the targets, after the raw floor: without and with the doorbell, then with
/// the doorbell and a shorter inbox batch wait (the batch wait's share of the rest), with the
/// batch handler, and a last run split at a tap queue (a breakdown, not a figure).
void endToEndFigures(int rate, int seconds) {
    const std::string targets = "p50 <= 3 ms, p99 <= 10 ms";
    // What the machine itself can do at the same load, against the same targets.
    if (const auto raw =
            attempt("raw end-to-end latency", [&] { return rawEndToEndLatency(rate, seconds); }))
        note("raw end-to-end (no msgbus) against the target " + targets + ": " +
             (raw->p50 <= 3 && raw->p99 <= 10 ? "met" : "MISSED"));
    // The fourth run swaps the per-message handler for its batch version: one INSERT for the
    // batch instead of one per message, each a round trip the later messages wait behind. The
    // last one splits the doorbell run's time at a tap queue; its tap slows the broker, so it
    // is a breakdown, not a figure against the target.
    for (const LatencyRun& run :
         {LatencyRun{false, {}}, LatencyRun{true, {}},
          LatencyRun{true, {{"inbox.batch_wait_ms", "1"}}},
          LatencyRun{true, {{"plugin.bench.library", "libmsgbus-bench-batch-handlers.so"}}},
          LatencyRun{true, {}, true}}) {
        const auto latencies =
            attempt("end-to-end latency", [&] { return endToEndLatency(rate, seconds, run); });
        if (!latencies || run.split)
            continue;
        const bool met = latencies->p50 <= 3 && latencies->p99 <= 10;
        note("end-to-end (" + run.label() + ") target " + targets + ": " +
             (met ? "met" : "MISSED"));
    }
}

/// The inbox with the batch bench handler between two runs of the consume ceiling, and its
/// ratio to their mean against the target.
void batchInboxAgainstCeiling(std::int64_t messages) {
    std::vector<double> ceilings;
    if (auto rate = attempt("consume ceiling", [&] { return consumeCeiling(messages, "before"); }))
        ceilings.push_back(*rate);
    const auto batch = attempt("inbox with the batch handler", [&] {
        return inboxThroughput(messages, 0, singleBroker(), 0, InboxWork::Batch);
    });
    if (auto rate = attempt("consume ceiling", [&] { return consumeCeiling(messages, "after"); }))
        ceilings.push_back(*rate);
    if (!batch || ceilings.empty())
        return;
    const double ratio = batch->inbox / mean(ceilings);
    reportRatio("inbox with the batch handler / consume ceiling" +
                    std::string(ceilings.size() > 1 ? " (mean of 2)" : ""),
                ratio, std::string("target >= 0.50: ") + (ratio >= 0.5 ? "met" : "MISSED"));
}

} // namespace

int main() {
    std::signal(SIGPIPE, SIG_IGN);
    setUpLogging();
    std::set<std::string> figures;
    try {
        figures = selectedFigures();
        mysqlConnection();
        amqpUrl();
        pluginDir();
    } catch (const std::exception& e) {
        std::cerr << "msgbus-bench: " << msgbus::core::errorText(e) << "\n";
        return 2;
    }
    const auto on = [&](const char* figure) { return figures.count(figure) > 0; };
    const std::int64_t rows = envInt("BENCH_ROWS", 100000);
    const std::int64_t rawMessages = envInt("BENCH_RAW_MESSAGES", 100000);
    const int rawBatch = static_cast<int>(envInt("BENCH_RAW_BATCH", 1000));
    const std::int64_t phaseRows = envInt("BENCH_PHASE_ROWS", 10000);
    const int rate = static_cast<int>(envInt("BENCH_RATE", 1000));
    const int seconds = static_cast<int>(envInt("BENCH_SECONDS", 20));
    const std::int64_t inboxMessages = envInt("BENCH_INBOX_MESSAGES", 100000);
    const std::int64_t rawSqlMessages = envInt("BENCH_RAW_SQL_MESSAGES", 20000);
    const std::int64_t inboxPhaseMessages = envInt("BENCH_INBOX_PHASE_MESSAGES", 20000);
    const std::int64_t batchInboxMessages = envInt("BENCH_BATCH_INBOX_MESSAGES", 100000);
    const std::int64_t quorumRows = envInt("BENCH_QUORUM_ROWS", 50000);
    const std::int64_t quorumInboxMessages = envInt("BENCH_QUORUM_INBOX_MESSAGES", 50000);

    Stopwatch total;
    if (auto others = attempt("setup", otherMysqlConnections))
        note("other MariaDB client connections at start: " + std::to_string(*others));

    // Figures 1 and 2 side by side: raw publish before and after the relays, so a change in
    // the broker's load during the run shows, and the ratios use the mean.
    const BrokerTarget single = singleBroker();
    std::vector<double> raws;
    const bool both = on("raw") && on("relay");
    if (on("raw"))
        rawPublishInto(raws, "raw publish", rawMessages, rawBatch, both ? "before the relays" : "",
                       single);
    std::optional<double> relayOne, relayTwo, relaySqlite;
    if (on("relay")) {
        relayOne = attempt("relay MariaDB 1 thread",
                           [&] { return relayThroughput("MySQL", 1, rows, single); });
        relayTwo = attempt("relay MariaDB 2 workers",
                           [&] { return relayThroughput("MySQL", 2, rows, single); });
        relaySqlite =
            attempt("relay SQLite", [&] { return relayThroughput("SQLite", 1, rows, single); });
    }
    if (both)
        rawPublishInto(raws, "raw publish", rawMessages, rawBatch, "after the relays", single);
    if (!raws.empty()) {
        const double raw = mean(raws);
        const std::string of = rawLabel(raws);
        ratioLine("relay (MariaDB, 1 thread) / " + of, relayOne, raw);
        ratioLine("relay (MariaDB, outbox.workers=2) / " + of, relayTwo, raw);
        ratioLine("relay (SQLite, 1 thread) / " + of, relaySqlite, raw);
    }

    // The audit trail's cost: the same relay with outbox.keep_delivered off and on, alternated
    // twice so that a drift in the services' speed during the run hits both alike.
    if (on("audit")) {
        std::vector<double> offRates, onRates;
        for (int round = 0; round < 2; ++round) {
            if (auto rate = attempt("relay keep_delivered=false",
                                    [&] { return relayThroughput("MySQL", 1, rows, single); }))
                offRates.push_back(*rate);
            if (auto rate = attempt("relay keep_delivered=true", [&] {
                    return relayThroughput("MySQL", 1, rows, single,
                                           {{"outbox.keep_delivered", "true"}});
                }))
                onRates.push_back(*rate);
        }
        if (!offRates.empty() && !onRates.empty())
            ratioLine("relay (MariaDB, 1 thread) keep_delivered=true / keep_delivered=false (means "
                      "of 2 alternated runs each)",
                      mean(onRates), mean(offRates));
    }
    if (on("phases"))
        attempt("relay steps", [&] {
            relayPhases(phaseRows);
            return 0;
        });
    if (on("latency"))
        for (bool ring : {false, true})
            attempt("relay latency", [&] { return relayLatency(rate, seconds, {ring, {}}); });
    std::optional<InboxRates> inbox;
    if (on("inbox")) {
        // Batches in flight per consumer: 1 and 4 beside the default 2, whose run also times
        // the raw loop.
        for (int concurrency : {1, 4})
            attempt("inbox, concurrency " + std::to_string(concurrency),
                    [&] { return inboxThroughput(inboxMessages, 0, single, concurrency); });
        inbox = attempt("inbox",
                        [&] { return inboxThroughput(inboxMessages, rawSqlMessages, single, 2); });
        // The same with a row of its own per message: what batches in flight give when their
        // handlers do not contend for the same rows.
        for (int concurrency : {1, 2, 4})
            attempt("inbox, own rows, concurrency " + std::to_string(concurrency), [&] {
                return inboxThroughput(inboxMessages, 0, single, concurrency, InboxWork::OwnRows);
            });
    }
    if (on("inboxbatch"))
        batchInboxAgainstCeiling(batchInboxMessages);
    if (on("inboxphases"))
        attempt("inbox steps", [&] {
            inboxPhases(inboxPhaseMessages);
            return 0;
        });
    if (on("e2e"))
        endToEndFigures(rate, seconds);

    // Figures 1, 2 and 4 again on the three-node cluster with a quorum queue: raw publish
    // before and after the relay as above, then the inbox, whose raw SQL loop would measure
    // the same database again and is taken from the "inbox" figure instead.
    if (on("quorum"))
        if (auto cluster = attempt("quorum", clusterQuorum)) {
            const std::string where = cluster->describe();
            note("quorum: a fresh " + where +
                 " per run below; each connection starts at a random node, so a figure moves "
                 "with whether that node holds the queue's leader");
            std::vector<double> quorumRaws;
            rawPublishInto(quorumRaws, "quorum raw publish", quorumRows, rawBatch,
                           "before the relay", *cluster);
            const auto relay = attempt("quorum relay MariaDB 1 thread", [&] {
                return relayThroughput("MySQL", 1, quorumRows, *cluster);
            });
            rawPublishInto(quorumRaws, "quorum raw publish", quorumRows, rawBatch,
                           "after the relay", *cluster);
            if (!quorumRaws.empty())
                ratioLine("relay (MariaDB, 1 thread, " + where + ") / " + rawLabel(quorumRaws) +
                              " on the same cluster",
                          relay, mean(quorumRaws));
            const auto quorumInbox = attempt(
                "quorum inbox", [&] { return inboxThroughput(quorumInboxMessages, 0, *cluster); });
            if (quorumInbox && inbox && inbox->raw && *inbox->raw > 0)
                reportRatio("inbox (" + where + ") / raw per-commit loop",
                            quorumInbox->inbox / *inbox->raw,
                            "the raw loop of the \"inbox\" figure in this run");
        }

    if (on("soak"))
        attempt("soak", [&] {
            soak(static_cast<int>(envInt("BENCH_SOAK_RATE", 2000)),
                 static_cast<int>(envInt("BENCH_SOAK_SECONDS", 600)));
            return 0;
        });
    if (on("console"))
        attempt("console", [&] {
            consoleLatency(envInt("BENCH_CONSOLE_ROWS", 1000000),
                           static_cast<int>(envInt("BENCH_CONSOLE_REQUESTS", 200)));
            return 0;
        });

    if (on("cleanup"))
        attempt("cleanup", [&] {
            cleanupComparison(envInt("BENCH_CLEANUP_ROWS", 10000000));
            return 0;
        });
    if (on("scheduled"))
        for (int pollMs : {50, 5000})
            attempt("scheduled lateness", [&] {
                return scheduledLateness(envInt("BENCH_SCHEDULED_ROWS", 10000),
                                         static_cast<int>(envInt("BENCH_SCHEDULED_SECONDS", 60)),
                                         pollMs);
            });

    if (on("ordered"))
        attempt("ordered", [&] { return orderedInbox(envInt("BENCH_ORDERED_MESSAGES", 50000)); });

    if (auto others = attempt("teardown", otherMysqlConnections))
        note("other MariaDB client connections at the end: " + std::to_string(*others));
    note("total bench time " + std::to_string(static_cast<int>(total.seconds())) + " s" +
         (failures ? ", " + std::to_string(failures) + " figure(s) FAILED" : ""));
    return failures ? 1 : 0;
}
