// msgbus-bench: the figures of `./run bench` (DESIGN §10), each measured against the same
// services in one run, beside the raw rabbitmq-c and SQL loops that show the machine's limits.
//
// Environment: MSGBUS_TEST_MYSQL, MSGBUS_TEST_AMQP_URL (tests/support/services.sh env),
// MSGBUS_PLUGIN_DIR (<build>/lib/plugins); run-bench.sh sets them. Knobs:
//   BENCH_ONLY=raw,relay,phases,latency,inbox,inboxphases,e2e   a subset (default: all)
//   BENCH_ROWS (100000)            outbox rows per relay figure
//   BENCH_RAW_MESSAGES (100000)    raw publish loop messages; BENCH_RAW_BATCH (1000)
//   BENCH_RELAY_TIMEOUT (180)      seconds a relay figure may drain before it is cut short
//   BENCH_PHASE_ROWS (10000)       rows of the relay step breakdown
//   BENCH_RATE (1000), BENCH_SECONDS (20)   offered load of the latency figures
//   BENCH_INBOX_MESSAGES (100000), BENCH_RAW_SQL_MESSAGES (20000), BENCH_RAW_SQL_SECONDS (30)
//   BENCH_INBOX_PREFETCH (host default)   the inbox figure's consumer prefetch
//   BENCH_INBOX_PHASE_MESSAGES (20000)    messages of the inbox step breakdown
//   BENCH_LOG_LEVEL (warning)      Poco log level of the host's loggers (stderr)
#include "BenchEnv.h"
#include "Figures.h"

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

const std::set<std::string> kFigures{"raw",   "relay", "phases",     "latency",
                                     "inbox", "e2e",   "inboxphases"};

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
        if (!kFigures.count(token))
            throw std::runtime_error("BENCH_ONLY: unknown figure '" + token +
                                     "' (raw, relay, phases, latency, inbox, inboxphases, e2e)");
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

    Stopwatch total;
    if (auto others = attempt("setup", otherMysqlConnections))
        note("other MariaDB client connections at start: " + std::to_string(*others));

    // Figures 1 and 2 side by side: raw publish before and after the relays, so a change in
    // the broker's load during the run shows, and the ratios use the mean.
    std::vector<double> raws;
    const bool both = on("raw") && on("relay");
    if (on("raw"))
        if (auto r = attempt("raw publish", [&] {
                return rawPublishWithConfirms(rawMessages, rawBatch,
                                              both ? "before the relays" : "");
            }))
            raws.push_back(*r);
    std::optional<double> relayOne, relayTwo, relaySqlite;
    if (on("relay")) {
        relayOne =
            attempt("relay MariaDB 1 thread", [&] { return relayThroughput("MySQL", 1, rows); });
        relayTwo =
            attempt("relay MariaDB 2 workers", [&] { return relayThroughput("MySQL", 2, rows); });
        relaySqlite = attempt("relay SQLite", [&] { return relayThroughput("SQLite", 1, rows); });
    }
    if (both)
        if (auto r = attempt("raw publish", [&] {
                return rawPublishWithConfirms(rawMessages, rawBatch, "after the relays");
            }))
            raws.push_back(*r);
    if (!raws.empty()) {
        double raw = 0;
        for (double r : raws)
            raw += r;
        raw /= static_cast<double>(raws.size());
        const std::string of = raws.size() > 1 ? "raw (mean of 2)" : "raw";
        ratioLine("relay (MariaDB, 1 thread) / " + of, relayOne, raw);
        ratioLine("relay (MariaDB, outbox.workers=2) / " + of, relayTwo, raw);
        ratioLine("relay (SQLite, 1 thread) / " + of, relaySqlite, raw);
    }

    if (on("phases"))
        attempt("relay steps", [&] {
            relayPhases(phaseRows);
            return 0;
        });
    if (on("latency"))
        attempt("relay latency", [&] {
            relayLatency(rate, seconds);
            return 0;
        });
    if (on("inbox"))
        attempt("inbox", [&] {
            inboxThroughput(inboxMessages, rawSqlMessages);
            return 0;
        });
    if (on("inboxphases"))
        attempt("inbox steps", [&] {
            inboxPhases(inboxPhaseMessages);
            return 0;
        });
    if (on("e2e"))
        attempt("end-to-end latency", [&] {
            endToEndLatency(rate, seconds);
            return 0;
        });

    if (auto others = attempt("teardown", otherMysqlConnections))
        note("other MariaDB client connections at the end: " + std::to_string(*others));
    note("total bench time " + std::to_string(static_cast<int>(total.seconds())) + " s" +
         (failures ? ", " + std::to_string(failures) + " figure(s) FAILED" : ""));
    return failures ? 1 : 0;
}
