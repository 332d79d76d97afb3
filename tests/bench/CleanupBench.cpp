// Figure "cleanup": removing old deduplication rows with `msgbus cleanup:dedup` by batched DELETE
// (dedup.partitioning = none) and by dropping their days (daily), while the host's inbox
// consumer handles a steady stream of messages on the same table.
#include "BenchEnv.h"
#include "Figures.h"
#include "support/TestEnv.h"

#include "core/amqp/AmqpNodes.h"
#include "core/amqp/AmqpPublisher.h"
#include "core/db/DailyPartitions.h"
#include "core/inbox/InboxConsumer.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"
#include "core/util/StopToken.h"

#include <msgbus/Id.h>
#include <msgbus/Message.h>

#include <Poco/Data/Session.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace msgbus::bench {
namespace {

using namespace Poco::Data::Keywords;

constexpr std::int64_t kDay = core::DailyPartitions::kDayMs;
/// The seeded rows lie in the two days that begin this many days ago: past the 7d retention
/// (dedup.retention's default, which cleanup:dedup removes by without --older-than).
constexpr int kSeedDaysAgo = 10;
/// The publisher sends this many messages per confirmed batch, at an even pace.
constexpr int kPerBatch = 10;
/// Samples from the first seconds (connections, first batches) are left out.
constexpr auto kWarmUp = std::chrono::seconds(3);
/// The inbox's latency before the cleanup is taken over this long.
constexpr auto kBefore = std::chrono::seconds(20);
/// After the cleanup the stream goes on this long, then the inbox must drain within kDrain.
constexpr auto kAfter = std::chrono::seconds(3);
constexpr auto kDrain = std::chrono::seconds(300);

std::string loadAverage() {
    std::ifstream in("/proc/loadavg");
    std::string one, five, fifteen;
    in >> one >> five >> fifteen;
    return one + " " + five + " " + fifteen;
}

/// Publishes bench.e2e messages (the bench plugin's LatencyHandler records each one's createdAt
/// and the time its handler ran, inside the inbox transaction) to exchange at rate msg/s,
/// kPerBatch per confirmed batch, until stopped. Counts the confirmed messages.
class SteadyPublisher {
public:
    SteadyPublisher(BenchBus& bus, std::string exchange, int rate)
        : _bus(bus), _exchange(std::move(exchange)),
          _period(std::chrono::microseconds(1000000LL * kPerBatch / rate)), _thread([this] {
              try {
                  run();
              } catch (const std::exception& e) {
                  _error = core::errorText(e);
              }
          }) {}
    ~SteadyPublisher() { stop(); }

    /// Stops publishing; throws what stopped the publisher early, if anything did.
    std::int64_t stop() {
        _stop.requestStop();
        if (_thread.joinable())
            _thread.join();
        if (!_error.empty())
            throw std::runtime_error("cleanup figure's publisher: " + _error);
        return _confirmed;
    }

private:
    void run() {
        core::amqp::AmqpPublisher::Options options;
        options.connection.connectionName = "msgbus bench cleanup publisher";
        core::amqp::AmqpPublisher publisher(core::amqp::AmqpNodes::parse(_bus.settings.amqp.url),
                                            options);
        auto plugins = _bus.plugins.current();
        auto next = std::chrono::steady_clock::now();
        while (!_stop.stopRequested()) {
            std::vector<core::amqp::OutgoingMessage> batch;
            for (std::uint64_t i = 0; i < kPerBatch; ++i) {
                Message message("bench.e2e", benchPayload(_confirmed, kPayloadBytes));
                message.setId(Id::generate());
                message.setCreatedAt(core::nowMillis());
                batch.push_back({i, _exchange, "bench.e2e", plugins->serializer->encode(message)});
            }
            for (const auto& outcome : publisher.publishBatch(batch, std::chrono::seconds(30))) {
                if (outcome.result != core::amqp::PublishResult::Confirmed)
                    throw std::runtime_error("a message was not confirmed: " + outcome.error);
                ++_confirmed;
            }
            next += _period;
            const auto left = next - std::chrono::steady_clock::now();
            if (left > std::chrono::steady_clock::duration::zero())
                _stop.sleepFor(left); // no wait when behind: catch up
        }
    }

    BenchBus& _bus;
    const std::string _exchange;
    const std::chrono::microseconds _period;
    core::StopToken _stop;
    std::atomic<std::int64_t> _confirmed{0};
    std::string _error;
    std::thread _thread; ///< last: starts once the rest is built
};

/// The host's inbox consumer (InboxConsumer, as `msgbus run` runs it) on its own thread until
/// stopped.
class RunningInbox {
public:
    explicit RunningInbox(BenchBus& bus)
        : _bus(bus), _thread([this] {
              try {
                  core::InboxConsumer consumer(
                      *_bus.database, _bus.plugins,
                      core::inboxWorkerSettingsOf(_bus.settings, _bus.settings.inbox.consumers[0]),
                      _bus.metrics, {});
                  consumer.run(_stop);
              } catch (const std::exception& e) {
                  _error = core::errorText(e);
              }
          }) {}
    ~RunningInbox() { stop(); }

    void stop() {
        _stop.requestStop();
        if (_thread.joinable())
            _thread.join();
        if (!_error.empty())
            throw std::runtime_error("cleanup figure's inbox consumer: " + _error);
    }

private:
    BenchBus& _bus;
    core::StopToken _stop;
    std::string _error;
    std::thread _thread; ///< last: starts once the rest is built
};

/// Splits today's partition (which takes every older row) into one per day back to days ago.
void addPastDays(BenchBus& bus, const std::string& table, int days) {
    const std::int64_t today = core::DailyPartitions::dayStart(core::nowMillis());
    std::string lines;
    for (int i = days; i >= 0; --i) {
        const std::int64_t day = today - i * kDay;
        lines += std::string(i < days ? ", " : "") + "PARTITION " +
                 core::DailyPartitions::nameOf(day) + " VALUES LESS THAN (" +
                 std::to_string(day + kDay) + ")";
    }
    bus.execute("ALTER TABLE " + table + " REORGANIZE PARTITION " +
                core::DailyPartitions::nameOf(today) + " INTO (" + lines + ")");
}

/// rows old deduplication rows of consumer "bench" spread evenly over two days kSeedDaysAgo
/// days back, by INSERT ... SELECT from MariaDB's sequence tables, half a million rows a
/// statement. Their ids are time-ordered as the ones Id::generate mints (the first 48 bits
/// the time in ms), so the table's key order follows processed_at as in production.
void seed(BenchBus& bus, const std::string& table, std::int64_t rows) {
    const std::int64_t from =
        core::DailyPartitions::dayStart(core::nowMillis()) - kSeedDaysAgo * kDay;
    for (std::int64_t first = 1; first <= rows; first += 500000) {
        const std::int64_t last = std::min(rows, first + 499999);
        bus.execute("INSERT INTO " + table +
                    " (message_id, consumer, message_name, processed_at) SELECT "
                    "UNHEX(CONCAT(LPAD(HEX(at), 12, '0'), '7000', LPAD(HEX(seq), 16, '0'))), "
                    "'bench', 'order.placed', at FROM (SELECT seq, " +
                    std::to_string(from) + " + seq * " + std::to_string(2 * kDay - 1) + " DIV " +
                    std::to_string(rows) + " AS at FROM seq_" + std::to_string(first) + "_to_" +
                    std::to_string(last) + ") s");
    }
}

/// Wall-clock marks of one run (ms).
struct Phases {
    std::int64_t beforeFrom = 0;
    std::int64_t cleanupFrom = 0;
    std::int64_t cleanupTo = 0;
};

void reportLatencies(const std::string& how, const std::string& when, std::vector<double>& ms) {
    const std::string label =
        "inbox publish->handler " + when + " (" + how + ", " + std::to_string(ms.size()) + " msgs)";
    report(label + " p50", percentile(ms, 0.50), "ms", 1);
    report(label + " p99", percentile(ms, 0.99), "ms", 1);
    report(label + " max", percentile(ms, 1.0), "ms", 1);
}

/// The latencies (handler time - creation, ms) of the messages created in each phase. The bench
/// handler writes both in microseconds.
void reportPhases(BenchBus& bus, const std::string& how, const Phases& phases) {
    std::vector<Poco::Int64> created;
    std::vector<Poco::Int64> handled;
    {
        auto session = bus.database->session();
        *session << "SELECT created_at, handled_at FROM bench_latency", into(created),
            into(handled), now;
    }
    std::vector<double> before;
    std::vector<double> during;
    for (std::size_t i = 0; i < created.size(); ++i) {
        const auto ms = static_cast<double>(handled[i] - created[i]) / 1000.0;
        const Poco::Int64 createdMs = created[i] / 1000;
        if (createdMs >= phases.beforeFrom && createdMs < phases.cleanupFrom)
            before.push_back(ms);
        else if (createdMs >= phases.cleanupFrom && createdMs < phases.cleanupTo)
            during.push_back(ms);
    }
    reportLatencies(how, "before the cleanup", before);
    reportLatencies(how, "while it runs", during);
}

/// Every message published was handled exactly once and left one deduplication row, nothing
/// went to the retry/failed table, and no old row is left; throws otherwise. Notes the lock
/// conflicts the inbox ran batches again for.
void checkEffects(BenchBus& bus, const std::string& how, std::int64_t published,
                  std::int64_t cutoff) {
    const auto& s = bus.settings;
    const auto handled = bus.queryInt("SELECT COUNT(*) FROM bench_latency");
    const auto distinct = bus.queryInt("SELECT COUNT(DISTINCT message_id) FROM bench_latency");
    const auto fresh = bus.queryInt("SELECT COUNT(*) FROM " + s.dedupTable +
                                    " WHERE processed_at >= " + std::to_string(cutoff));
    const auto old = bus.queryInt("SELECT COUNT(*) FROM " + s.dedupTable +
                                  " WHERE processed_at < " + std::to_string(cutoff));
    const auto failed = bus.queryInt("SELECT COUNT(*) FROM " + s.failedTable);
    const auto& m = bus.metrics;
    note("cleanup (" + how + "): " + std::to_string(published) + " messages published, " +
         std::to_string(handled) + " handler runs (" + std::to_string(distinct) + " distinct), " +
         std::to_string(fresh) + " new dedup rows, " + std::to_string(failed) +
         " retry/failed rows, " + std::to_string(old) + " old rows left; inbox: " +
         std::to_string(m.retried.load()) + " retried, " + std::to_string(m.givenBack.load()) +
         " given back, " + std::to_string(m.lockConflictReruns.value("bench")) +
         " batches run again after a lock conflict (deadlock or lock wait timeout)");
    if (handled != published || distinct != published || fresh != published || failed != 0 ||
        old != 0)
        throw std::runtime_error("cleanup (" + how + "): a message was lost, doubled or failed, " +
                                 "or old rows are left (see the note above)");
}

/// `msgbus cleanup:dedup` (the operator's command, dedup.retention as the age) on bus's
/// database; returns its wall time in s and notes its output.
double runCleanup(BenchBus& bus, const std::string& how) {
    const auto dir = std::filesystem::temp_directory_path() / uniqueName("msgbus_bench_cleanup");
    std::filesystem::create_directories(dir);
    const auto file = test::writeProperties((dir / "msgbus.properties").string(), bus.properties);
    std::string output;
    Stopwatch clock;
    const int rc = test::runCommand(
        test::msgbusBinary() + " cleanup:dedup --config " + test::shellQuoted(file), &output);
    const double seconds = clock.seconds();
    std::filesystem::remove_all(dir);
    while (!output.empty() && output.back() == '\n')
        output.pop_back();
    note("cleanup (" + how + "): msgbus cleanup:dedup exited " + std::to_string(rc) + ": " +
         output);
    if (rc != 0)
        throw std::runtime_error("msgbus cleanup:dedup exited " + std::to_string(rc));
    return seconds;
}

void cleanupRun(bool partitioned, std::int64_t rows, int rate) {
    const std::string how = partitioned ? "DROP PARTITION" : "DELETE (batches of 1000)";
    note("cleanup (" + how + "): load average at start " + loadAverage());
    ScratchQueue queue("bench.#");
    ScratchMysqlDatabase mysql;
    BenchBus bus("MySQL", mysql.connection(), queue.exchange(),
                 {{"inbox.consumers", "bench"},
                  {"inbox.consumer.bench.queue", queue.queue()},
                  {"inbox.consumer.bench.plugins", "bench"},
                  {"dedup.partitioning", partitioned ? "daily" : "none"}});
    bus.execute("CREATE TABLE bench_latency (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
                "message_id VARCHAR(64) NULL, created_at BIGINT NOT NULL, "
                "handled_at BIGINT NOT NULL)");
    const std::string& table = bus.settings.dedupTable;
    if (partitioned)
        addPastDays(bus, table, kSeedDaysAgo + 1);
    Stopwatch seeding;
    seed(bus, table, rows);
    note("cleanup (" + how + "): " + std::to_string(rows) + " rows seeded in " +
         std::to_string(static_cast<int>(seeding.seconds())) + " s");

    Phases phases;
    std::int64_t published = 0;
    double seconds = 0;
    {
        RunningInbox inbox(bus);
        SteadyPublisher publisher(bus, queue.exchange(), rate);
        std::this_thread::sleep_for(kWarmUp);
        phases.beforeFrom = core::nowMillis();
        std::this_thread::sleep_for(kBefore);
        phases.cleanupFrom = core::nowMillis();
        seconds = runCleanup(bus, how);
        phases.cleanupTo = core::nowMillis();
        std::this_thread::sleep_for(kAfter);
        published = publisher.stop();
        for (Stopwatch wait; wait.seconds() < static_cast<double>(kDrain.count());) {
            if (bus.queryInt("SELECT COUNT(*) FROM bench_latency") >= published)
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        inbox.stop();
    }
    report("cleanup of " + std::to_string(rows) + " dedup rows by " + how, seconds, "s", 2);
    reportPhases(bus, how, phases);
    checkEffects(bus, how, published, core::nowMillis() - 7 * kDay);
    note("cleanup (" + how + "): load average at end " + loadAverage());
}

} // namespace

void cleanupComparison(std::int64_t rows) {
    const int rate = static_cast<int>(envInt("BENCH_CLEANUP_RATE", 500));
    note("cleanup: the host's inbox consumer (InboxConsumer, bench handler) handles " +
         std::to_string(rate) + " msg/s published " + std::to_string(kPerBatch) +
         " per confirmed batch, its dedup rows in the table being cleaned; the cleanup is "
         "`msgbus cleanup:dedup` with dedup.retention 7d; the latency runs from the message's "
         "createdAt (just before its publish) to its handler's statement, inside the inbox "
         "transaction just before the commit");
    // BENCH_CLEANUP_MODES=drop (or delete) runs one of them: the DELETE takes minutes.
    const char* modes = std::getenv("BENCH_CLEANUP_MODES");
    const std::string chosen = modes && *modes ? modes : "drop,delete";
    if (chosen.find("drop") != std::string::npos)
        cleanupRun(true, rows, rate);
    if (chosen.find("delete") != std::string::npos)
        cleanupRun(false, rows, rate);
}

} // namespace msgbus::bench
