// Figure "soak": the whole orders chain through a real `msgbus run` process for minutes at a
// steady load, watching the process for leaks (RSS, fds, threads) and the latency for drift,
// then counting every effect in the database.
#include "SoakBench.h"

#include "BenchEnv.h"
#include "support/HostProcess.h"
#include "support/OrdersBus.h"

#include "core/config/Settings.h"

#include <Poco/Data/Session.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

namespace msgbus::bench {
namespace {

using namespace Poco::Data::Keywords;
using Clock = std::chrono::steady_clock;

constexpr int kSampleSeconds = 10;
constexpr int kMinuteSeconds = 60;
/// The growth baseline: after the first two minutes, when pools, buffers and the allocator's
/// arenas have reached their working size.
constexpr int kBaselineSeconds = 120;
constexpr double kRssGrowthTargetPercent = 10.0;
/// How long the pipeline may take to drain after the producer stopped: at least 5 minutes, and
/// as long as the production ran (a host that fell behind works off its backlog).
std::chrono::seconds drainTimeout(int seconds) {
    return std::chrono::seconds(std::max(300, seconds));
}

/// A database-clock stamp in epoch ms, taken by the INSERT that writes the row (so inside the
/// transaction, just before its commit), for the orders and the sample's effect tables.
const char* const kStampDefault = "DEFAULT (ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000))";

/// The host's own defaults where the e2e tests' orders bus sets values of its own: a soak
/// measures the host as a user runs it.
std::map<std::string, std::string> hostDefaults() {
    const core::OutboxSettings outbox;
    const core::ConsumerSettings consumer;
    return {
        {"outbox.batch_size", std::to_string(outbox.batchSize)},
        {"outbox.poll_interval_ms", std::to_string(outbox.pollInterval.count())},
        {"amqp.heartbeat", std::to_string(core::AmqpSettings{}.heartbeatSeconds)},
        {"inbox.consumer.placed.prefetch", std::to_string(consumer.prefetch)},
        {"inbox.consumer.confirmations.prefetch", std::to_string(consumer.prefetch)},
        {"retry.delay_ms", std::to_string(core::RetrySettings{}.delay.count())},
    };
}

/// The stamps the latency is read from; the effect tables keep order_id indexed but not unique,
/// so that a second effect of one order is stored and counted rather than failing its handler.
void prepareTables(const std::string& connection) {
    Poco::Data::Session session("MySQL", connection);
    const std::string stamp = kStampDefault;
    session << "ALTER TABLE orders ADD COLUMN committed_ms BIGINT NOT NULL " + stamp, now;
    for (const std::string table : {"order_projection", "order_confirmations"})
        session << "ALTER TABLE " + table +
                       " DROP PRIMARY KEY, ADD COLUMN seq BIGINT NOT NULL AUTO_INCREMENT "
                       "PRIMARY KEY FIRST, ADD INDEX (order_id), ADD COLUMN stamped_ms BIGINT "
                       "NOT NULL " +
                       stamp,
            now;
}

/// One look at the host process through /proc/<pid>.
struct ProcessSample {
    double atSeconds = 0; ///< since production started
    double rssMiB = 0;    ///< VmRSS
    int fds = 0;          ///< entries of /proc/<pid>/fd
    int threads = 0;
    double cpuSeconds = 0; ///< user + system since the process started
};

double cpuSecondsOf(const std::string& proc) {
    std::ifstream in(proc + "/stat");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The command name (field 2) may hold spaces; the fields after its ')' start with the state
    // (field 3); utime and stime are fields 14 and 15, in clock ticks.
    const auto close = text.rfind(')');
    if (close == std::string::npos)
        throw std::runtime_error("soak: cannot parse " + proc + "/stat");
    std::istringstream fields(text.substr(close + 1));
    std::string field;
    double ticks = 0;
    for (int n = 3; n <= 15 && fields >> field; ++n)
        if (n >= 14)
            ticks += std::stod(field);
    return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

ProcessSample sampleHost(test::HostProcess& host, double atSeconds) {
    if (!host.running())
        throw std::runtime_error("soak: the host ended (" + host.status()->describe() + ") after " +
                                 std::to_string(static_cast<int>(atSeconds)) + " s\n" +
                                 host.logTail());
    const std::string proc = "/proc/" + std::to_string(host.pid());
    ProcessSample sample;
    sample.atSeconds = atSeconds;
    std::ifstream status(proc + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0)
            sample.rssMiB = std::stod(line.substr(6)) / 1024.0; // "VmRSS:   12345 kB"
        else if (line.rfind("Threads:", 0) == 0)
            sample.threads = std::stoi(line.substr(8));
    }
    for (auto it = std::filesystem::directory_iterator(proc + "/fd");
         it != std::filesystem::directory_iterator(); ++it)
        ++sample.fds;
    sample.cpuSeconds = cpuSecondsOf(proc);
    return sample;
}

/// The sample taken nearest to at seconds.
const ProcessSample& sampleNear(const std::vector<ProcessSample>& samples, double at) {
    return *std::min_element(samples.begin(), samples.end(), [at](const auto& a, const auto& b) {
        return std::abs(a.atSeconds - at) < std::abs(b.atSeconds - at);
    });
}

std::string fixed(double value, int decimals) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

std::string loadAverage() {
    std::ifstream in("/proc/loadavg");
    std::string one, five, fifteen;
    in >> one >> five >> fifteen;
    return one + " " + five + " " + fifteen;
}

/// What the producer did and what the host looked like meanwhile.
struct Production {
    std::int64_t orders = 0;
    double seconds = 0;
    std::vector<ProcessSample> samples; ///< at 0 s (host started, idle), every 10 s, at the end
};

/// The minute's progress: what was produced, the host's figures, and whether a backlog builds.
void progressNote(test::OrdersBus& bus, const Production& run, int minute) {
    const ProcessSample& last = run.samples.back();
    const ProcessSample& before = sampleNear(run.samples, last.atSeconds - kMinuteSeconds);
    const double cpu = (last.cpuSeconds - before.cpuSeconds) /
                       std::max(1.0, last.atSeconds - before.atSeconds) * 100.0;
    note("soak: minute " + std::to_string(minute) + " done: " + std::to_string(run.orders) +
         " orders committed; host RSS " + fixed(last.rssMiB, 1) + " MiB, " +
         std::to_string(last.fds) + " fds, " + std::to_string(last.threads) + " threads, " +
         fixed(cpu, 0) + " % of a core in the last minute; backlog " +
         std::to_string(bus.scalar("SELECT COUNT(*) FROM messenger_outbox")) + " outbox rows, " +
         std::to_string(bus.queueDepth(bus.placedQueue())) + " + " +
         std::to_string(bus.queueDepth(bus.confirmedQueue())) +
         " ready in the queues; load average " + loadAverage());
}

/// Producer threads, each with a session of its own: one session's round trips (two
/// statements per order) would bound the offered rate below what the host is asked to carry.
constexpr int kProducers = 3;

/// Commits orders on kProducers threads at rate orders per second in all (rate / 100 per
/// transaction, evenly paced) until end; records the first failure and stops them all.
class Producers {
public:
    Producers(test::OrdersBus& bus, int rate, Clock::time_point start, Clock::time_point end)
        : _perTransaction(std::max(1, rate / 100)) {
        const auto period =
            std::chrono::microseconds(1000000LL * _perTransaction * kProducers / rate);
        for (int p = 0; p < kProducers; ++p)
            _threads.emplace_back(
                [this, &bus, period, end, first = start + period * p / kProducers] {
                    run(bus, first, period, end);
                });
    }
    ~Producers() {
        _stop = true;
        for (auto& thread : _threads)
            if (thread.joinable())
                thread.join();
    }
    Producers(const Producers&) = delete;
    Producers& operator=(const Producers&) = delete;

    /// Waits for the threads; rethrows the first failure.
    void join() {
        for (auto& thread : _threads)
            if (thread.joinable())
                thread.join();
        if (_failure)
            std::rethrow_exception(std::exchange(_failure, nullptr));
    }
    bool failed() const { return _stop; }
    std::int64_t committed() const { return _committed; }

private:
    void run(test::OrdersBus& bus, Clock::time_point next, std::chrono::microseconds period,
             Clock::time_point end) {
        try {
            while (!_stop && next < end) {
                std::this_thread::sleep_until(next); // returns at once when behind: catch up
                const auto first = _claimed.fetch_add(_perTransaction) + 1;
                bus.writeOrders(static_cast<int>(first), _perTransaction, _perTransaction);
                _committed += _perTransaction;
                next += period;
            }
        } catch (...) {
            std::lock_guard lock(_mutex);
            if (!_failure)
                _failure = std::current_exception();
            _stop = true;
        }
    }

    const int _perTransaction;
    std::atomic<std::int64_t> _claimed{0};
    std::atomic<std::int64_t> _committed{0};
    std::atomic<bool> _stop{false};
    std::mutex _mutex;
    std::exception_ptr _failure;
    std::vector<std::thread> _threads;
};

/// Commits rate orders per second for seconds s (Producers), sampling the host every 10 s.
Production produce(test::OrdersBus& bus, test::HostProcess& host, int rate, int seconds) {
    Production run;
    const auto start = Clock::now();
    const auto end = start + std::chrono::seconds(seconds);
    const auto since = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
    run.samples.push_back(sampleHost(host, 0));
    Producers producers(bus, rate, start, end);
    for (auto at = start + std::chrono::seconds(kSampleSeconds); at <= end && !producers.failed();
         at += std::chrono::seconds(kSampleSeconds)) {
        while (Clock::now() < at && !producers.failed())
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        run.samples.push_back(sampleHost(host, since()));
        run.orders = producers.committed();
        const auto taken = static_cast<int>(run.samples.size() - 1);
        if (taken % (kMinuteSeconds / kSampleSeconds) == 0)
            progressNote(bus, run, taken / (kMinuteSeconds / kSampleSeconds));
    }
    producers.join();
    run.seconds = since();
    run.orders = producers.committed();
    if (run.samples.back().atSeconds < run.seconds - 1)
        run.samples.push_back(sampleHost(host, run.seconds));
    return run;
}

/// Waits until every order is confirmed and the outbox and both queues are empty. Counting a
/// table of a million rows costs the database a moment, hence every 2 s.
void drain(test::OrdersBus& bus, test::HostProcess& host, std::int64_t orders, int seconds) {
    const bool confirmed = test::waitUntil(
        [&] {
            return !host.running() ||
                   (bus.scalar("SELECT COUNT(*) FROM messenger_outbox") == 0 &&
                    bus.scalar("SELECT COUNT(*) FROM order_confirmations") >= orders);
        },
        drainTimeout(seconds), std::chrono::seconds(2));
    if (!confirmed || !host.running() || !bus.waitQueuesDrained(std::chrono::seconds(60)))
        throw std::runtime_error("soak: the pipeline did not drain within " +
                                 std::to_string(drainTimeout(seconds).count()) +
                                 " s after the producer stopped: " + bus.counts().toString() +
                                 "\n" + host.logTail());
}

struct Latencies {
    std::int64_t orders = 0;
    double p50 = 0, p99 = 0, max = 0;
};

Latencies latenciesOf(std::vector<double>& millis) {
    return {static_cast<std::int64_t>(millis.size()), percentile(millis, 0.50),
            percentile(millis, 0.99), percentile(millis, 1.0)};
}

/// The database-clock stamps of each order: its commit, its projection, its confirmation.
struct Stamps {
    std::vector<Poco::Int64> committed, projected, confirmed;
};

Stamps stampsOf(const std::string& connection) {
    Stamps stamps;
    Poco::Data::Session session("MySQL", connection);
    session << "SELECT o.committed_ms, p.stamped_ms, c.stamped_ms FROM orders o JOIN "
               "order_projection p ON p.order_id = o.order_id JOIN order_confirmations c ON "
               "c.order_id = o.order_id",
        into(stamps.committed), into(stamps.projected), into(stamps.confirmed), now;
    return stamps;
}

/// Order commit → confirmation handler, ms, per minute of production (by commit time) and, as
/// the last element, over the whole run.
std::vector<Latencies> latencyPerMinute(const Stamps& stamps) {
    if (stamps.committed.empty())
        return {};
    const auto& committed = stamps.committed;
    const Poco::Int64 first = *std::min_element(committed.begin(), committed.end());
    std::vector<std::vector<double>> minutes;
    std::vector<double> all;
    all.reserve(committed.size());
    for (std::size_t i = 0; i < committed.size(); ++i) {
        const auto minute = static_cast<std::size_t>((committed[i] - first) / 60000);
        if (minutes.size() <= minute)
            minutes.resize(minute + 1);
        const auto millis = static_cast<double>(stamps.confirmed[i] - committed[i]);
        minutes[minute].push_back(millis);
        all.push_back(millis);
    }
    std::vector<Latencies> result;
    for (auto& minute : minutes)
        result.push_back(latenciesOf(minute));
    result.push_back(latenciesOf(all));
    return result;
}

/// The two hops over the whole run: where the end-to-end time goes.
void reportHops(const Stamps& stamps) {
    std::vector<double> first, second;
    for (std::size_t i = 0; i < stamps.committed.size(); ++i) {
        first.push_back(static_cast<double>(stamps.projected[i] - stamps.committed[i]));
        second.push_back(static_cast<double>(stamps.confirmed[i] - stamps.projected[i]));
    }
    const auto hop = [](const std::string& what, std::vector<double>& millis) {
        const Latencies l = latenciesOf(millis);
        note("soak: " + what + ": p50 " + fixed(l.p50, 0) + " ms, p99 " + fixed(l.p99, 0) +
             " ms, max " + fixed(l.max, 0) + " ms");
    };
    hop("hop 1, order commit -> projection (relay, \"placed\" consumer)", first);
    hop("hop 2, projection -> confirmation (relay of the handler's publish, \"confirmations\" "
        "consumer)",
        second);
}

/// "bench: soak <what>: <value> (target <target>: met|MISSED)".
void targetLine(const std::string& what, const std::string& value, const std::string& target,
                bool met) {
    std::cout << "bench: soak " << what << ": " << value << " (target " << target << ": "
              << (met ? "met" : "MISSED") << ")" << std::endl;
}

void reportMinutes(const std::vector<Latencies>& latencies, const Production& run) {
    if (latencies.empty())
        throw std::runtime_error("soak: no order was confirmed");
    for (std::size_t m = 0; m + 1 < latencies.size(); ++m) {
        const auto& l = latencies[m];
        const bool partial = static_cast<double>(m + 1) * kMinuteSeconds > run.seconds + 1;
        const auto& atEnd = sampleNear(run.samples, static_cast<double>(m + 1) * kMinuteSeconds);
        std::cout << "bench: soak minute " << m + 1 << (partial ? " (partial)" : "")
                  << ": end-to-end p99 " << fixed(l.p99, 0) << " ms (p50 " << fixed(l.p50, 0)
                  << ", max " << fixed(l.max, 0) << "; " << l.orders << " orders); host RSS "
                  << fixed(atEnd.rssMiB, 1) << " MiB, " << atEnd.fds << " fds, " << atEnd.threads
                  << " threads at its end" << std::endl;
    }
    const auto& all = latencies.back();
    report("soak end-to-end p50 (order commit -> confirmation handler, whole run)", all.p50, "ms");
    report("soak end-to-end p99 (order commit -> confirmation handler, whole run)", all.p99, "ms");
    report("soak end-to-end max (order commit -> confirmation handler, whole run)", all.max, "ms");
}

/// RSS and fds at start, at the baseline, at the end; the growth against the targets.
void reportHost(const Production& run, int seconds) {
    const int baselineAt = seconds >= 2 * kBaselineSeconds ? kBaselineSeconds : seconds / 2;
    const std::string baselineName =
        baselineAt == kBaselineSeconds ? "minute 2" : std::to_string(baselineAt) + " s (mid-run)";
    const ProcessSample& start = run.samples.front();
    const ProcessSample& base = sampleNear(run.samples, baselineAt);
    const ProcessSample& end = run.samples.back();
    double maxRss = 0;
    int maxFds = 0, maxThreads = 0;
    for (const auto& s : run.samples) {
        maxRss = std::max(maxRss, s.rssMiB);
        maxFds = std::max(maxFds, s.fds);
        maxThreads = std::max(maxThreads, s.threads);
    }
    note("soak: host RSS " + fixed(start.rssMiB, 1) + " MiB at start (idle), " +
         fixed(base.rssMiB, 1) + " at " + baselineName + ", " + fixed(end.rssMiB, 1) +
         " at the end, max " + fixed(maxRss, 1) + "; threads " + std::to_string(start.threads) +
         " / " + std::to_string(base.threads) + " / " + std::to_string(end.threads) + ", max " +
         std::to_string(maxThreads));
    const double growth = (end.rssMiB - base.rssMiB) / base.rssMiB * 100.0;
    targetLine("host RSS growth " + baselineName + " -> end",
               fixed(growth, 1) + " % (" + fixed(base.rssMiB, 1) + " -> " + fixed(end.rssMiB, 1) +
                   " MiB)",
               "<= " + fixed(kRssGrowthTargetPercent, 0) + " %", growth <= kRssGrowthTargetPercent);
    targetLine("host fds " + baselineName + " -> end",
               std::to_string(base.fds) + " -> " + std::to_string(end.fds) + " (" +
                   std::to_string(start.fds) + " at start, max " + std::to_string(maxFds) + ")",
               "no growth", end.fds <= base.fds);
    const double cpu = end.cpuSeconds - start.cpuSeconds;
    note("soak: host CPU " + fixed(cpu, 1) + " s over " + fixed(run.seconds, 0) + " s (" +
         fixed(cpu / run.seconds * 100.0, 0) + " % of a core), " +
         fixed(cpu * 100000.0 / static_cast<double>(std::max<std::int64_t>(1, run.orders)), 2) +
         " CPU s per 100k orders (2 messages relayed and 2 consumed per order)");
}

/// Lost: orders without a projection or without a confirmation. Doubled: effects beyond one per
/// order. Returns false when either is not 0 or a retry or failed row exists.
bool reportAccounting(test::OrdersBus& bus) {
    const auto missing = [&](const std::string& table) {
        return bus.scalar("SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM " + table +
                          " e WHERE e.order_id = o.order_id)");
    };
    const auto extra = [&](const std::string& table) {
        return bus.scalar("SELECT COUNT(*) - COUNT(DISTINCT order_id) FROM " + table);
    };
    const long long lostProjections = missing("order_projection");
    const long long lostConfirmations = missing("order_confirmations");
    const long long doubledProjections = extra("order_projection");
    const long long doubledConfirmations = extra("order_confirmations");
    const auto counts = bus.counts();
    const long long lost = lostProjections + lostConfirmations;
    const long long doubled = doubledProjections + doubledConfirmations;
    targetLine("lost",
               std::to_string(lost) + " (" + std::to_string(lostProjections) +
                   " orders without a projection, " + std::to_string(lostConfirmations) +
                   " without a confirmation)",
               "0", lost == 0);
    targetLine("doubled",
               std::to_string(doubled) + " (" + std::to_string(doubledProjections) +
                   " extra projections, " + std::to_string(doubledConfirmations) +
                   " extra confirmations)",
               "0", doubled == 0);
    note("soak: " + counts.toString());
    return lost == 0 && doubled == 0 && counts.retryRows == 0 && counts.failedRows == 0;
}

void stopHost(test::HostProcess& host) {
    host.signal(SIGTERM);
    const auto status = host.waitExit(std::chrono::seconds(60));
    if (!status || !status->success())
        throw std::runtime_error(
            "soak: SIGTERM after the run: " + (status ? status->describe() : "no exit in 60 s") +
            "\n" + host.logTail());
}

} // namespace

void soak(int rate, int seconds) {
    if (rate < 1 || seconds < 1)
        throw std::runtime_error("BENCH_SOAK_RATE and BENCH_SOAK_SECONDS must be at least 1");
    test::OrdersBus bus("MySQL", hostDefaults());
    bus.setup();
    prepareTables(bus.connection());
    auto host = bus.startHost("soak-host");
    const core::Settings defaults;
    note("soak: " + std::to_string(seconds) + " s at " + std::to_string(rate) +
         " orders/s offered into `msgbus run` (pid " + std::to_string(host->pid()) +
         ", MariaDB, the orders sample, the host's defaults: outbox.workers=" +
         std::to_string(defaults.outbox.workers) + ", outbox.poll_interval_ms=" +
         std::to_string(defaults.outbox.pollInterval.count()) + ", prefetch " +
         hostDefaults()["inbox.consumer.placed.prefetch"] + ", inbox.consumer.<c>.concurrency=" +
         std::to_string(core::ConsumerSettings{}.concurrency) +
         "): each order is relayed, "
         "projected with an order.confirmed published through the outbox, relayed and "
         "confirmed, so " +
         std::to_string(2 * rate) + " msg/s through the relay and the inbox; load average " +
         loadAverage());
    const Production run = produce(bus, *host, rate, seconds);
    note("soak: the producer committed " + std::to_string(run.orders) + " orders in " +
         fixed(run.seconds, 1) + " s (" + fixed(static_cast<double>(run.orders) / run.seconds, 0) +
         "/s); draining");
    const auto drainStart = Clock::now();
    drain(bus, *host, run.orders, seconds);
    const ProcessSample drained = sampleHost(*host, run.seconds);
    note("soak: drained " +
         fixed(std::chrono::duration<double>(Clock::now() - drainStart).count(), 1) +
         " s after the producer stopped; host then " + fixed(drained.rssMiB, 1) + " MiB, " +
         std::to_string(drained.fds) + " fds");
    stopHost(*host);
    const Stamps stamps = stampsOf(bus.connection());
    reportMinutes(latencyPerMinute(stamps), run);
    reportHops(stamps);
    reportHost(run, seconds);
    const bool exact = reportAccounting(bus);
    note("soak: the host's summary: consumed " +
         std::to_string(test::OrdersBus::summaryValue(*host, "consumed")) + ", deduplicated " +
         std::to_string(test::OrdersBus::summaryValue(*host, "deduplicated")));
    if (!exact)
        throw std::runtime_error("soak: messages lost or doubled, or retry/failed rows (the "
                                 "database is kept for inspection)");
    // The full exactly-once accounting of the e2e tests (dedup ids, empty queues, ...).
    bus.assertExactlyOnce(run.orders, "soak");
}

} // namespace msgbus::bench
