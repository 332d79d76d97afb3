// Figure "cleanup": removing old deduplication rows by batched DELETE (dedup.partitioning =
// none) against dropping their days (daily), and what each does to the inbox's writes
// meanwhile.
#include "BenchEnv.h"
#include "Figures.h"

#include "core/db/DailyPartitions.h"
#include "core/db/Database.h"
#include "core/db/PartitionRotation.h"
#include "core/db/Schema.h"
#include "core/db/Transaction.h"
#include "core/inbox/DedupStore.h"
#include "core/util/Clock.h"

#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>

namespace msgbus::bench {
namespace {

using namespace Poco::Data::Keywords;

constexpr std::int64_t kDay = core::DailyPartitions::kDayMs;
/// The seeded rows lie in the two days that begin this many days ago: past the 7d retention.
constexpr int kSeedDaysAgo = 10;
/// The inbox stand-in: a batch of this many dedup rows every kWriterTick, one transaction each
/// (about the inbox's measured rate on this machine).
constexpr int kWriterBatch = 50;
constexpr std::chrono::milliseconds kWriterTick{10};

/// The inbox's database side at its usual pace: DedupStore::tryInsertAll of a batch of fresh
/// ids and the commit, the statements a consumer runs per batch besides its handlers'. Records
/// each transaction's latency, tagged with whether the cleanup was running.
class InboxStandIn {
public:
    InboxStandIn(core::Database& database, const std::string& table, bool partitioned)
        : _database(database), _dedup(database.dialect(), table, partitioned),
          _thread([this] { run(); }) {}
    ~InboxStandIn() { stop(); }

    void setCleaning(bool cleaning) { _cleaning = cleaning; }
    void stop() {
        _stop = true;
        if (_thread.joinable())
            _thread.join();
    }
    /// The latencies (ms) while the cleanup ran, or before it.
    std::vector<double> latencies(bool during) {
        std::lock_guard lock(_mutex);
        return during ? _during : _before;
    }

private:
    void run() {
        auto next = std::chrono::steady_clock::now();
        while (!_stop) {
            std::vector<core::DedupStore::Entry> entries;
            for (int i = 0; i < kWriterBatch; ++i)
                entries.push_back({Id::generate(), "order.placed"});
            const bool cleaning = _cleaning;
            Stopwatch watch;
            {
                auto session = _database.session();
                core::Transaction tx(*session, _database.dialect());
                _dedup.tryInsertAll(*session, "bench", entries, core::nowMillis());
                tx.commit();
            }
            {
                std::lock_guard lock(_mutex);
                (cleaning ? _during : _before).push_back(watch.millis());
            }
            next += kWriterTick;
            std::this_thread::sleep_until(next);
        }
    }

    core::Database& _database;
    core::DedupStore _dedup;
    std::atomic<bool> _stop{false};
    std::atomic<bool> _cleaning{false};
    std::mutex _mutex;
    std::vector<double> _before;
    std::vector<double> _during;
    std::thread _thread;
};

/// Splits today's partition (which takes every older row) into one per day back to days ago.
void addPastDays(core::Database& database, const std::string& table, int days) {
    const std::int64_t today = core::DailyPartitions::dayStart(core::nowMillis());
    std::string lines;
    for (int i = days; i >= 0; --i) {
        const std::int64_t day = today - i * kDay;
        lines += std::string(i < days ? ", " : "") + "PARTITION " +
                 core::DailyPartitions::nameOf(day) + " VALUES LESS THAN (" +
                 std::to_string(day + kDay) + ")";
    }
    auto session = database.session();
    *session << "ALTER TABLE " + table + " REORGANIZE PARTITION " +
                    core::DailyPartitions::nameOf(today) + " INTO (" + lines + ")",
        now;
}

/// rows old deduplication rows spread over two days kSeedDaysAgo days back, by INSERT ...
/// SELECT from MariaDB's sequence tables, half a million rows a statement.
void seed(core::Database& database, const std::string& table, std::int64_t rows) {
    const std::int64_t from =
        core::DailyPartitions::dayStart(core::nowMillis()) - kSeedDaysAgo * kDay;
    auto session = database.session();
    for (std::int64_t first = 1; first <= rows; first += 500000) {
        const std::int64_t last = std::min(rows, first + 499999);
        *session << "INSERT INTO " + table +
                        " (message_id, consumer, message_name, processed_at) SELECT "
                        "UNHEX(MD5(seq)), 'bench', 'order.placed', " +
                        std::to_string(from) + " + seq * " + std::to_string(2 * kDay - 1) +
                        " DIV " + std::to_string(rows) + " FROM seq_" + std::to_string(first) +
                        "_to_" + std::to_string(last),
            now;
    }
}

void cleanupRun(bool partitioned, std::int64_t rows) {
    const std::string how = partitioned ? "DROP PARTITION" : "DELETE (batches of 1000)";
    ScratchMysqlDatabase scratch;
    core::Database database({"MySQL", scratch.connection(), 4});
    core::TableNames names;
    names.outbox = uniqueName("outbox");
    names.dedup = uniqueName("dedup");
    names.failed = uniqueName("failed");
    names.hosts = uniqueName("hosts");
    names.partitioning.daily = partitioned;
    names.partitioning.daysAhead = 3;
    core::Schema::apply(database, names);
    if (partitioned)
        addPastDays(database, names.dedup, kSeedDaysAgo + 1);
    Stopwatch seeding;
    seed(database, names.dedup, rows);
    note("cleanup: " + std::to_string(rows) + " rows seeded in " +
         std::to_string(static_cast<int>(seeding.seconds())) + " s (" + how + " run)");

    InboxStandIn inbox(database, names.dedup, partitioned);
    std::this_thread::sleep_for(std::chrono::seconds(5)); // the inbox's p99 before the cleanup
    const std::int64_t nowMs = core::nowMillis();
    const std::int64_t cutoff = nowMs - 7 * kDay;
    inbox.setCleaning(true);
    Stopwatch cleaning;
    std::size_t removed = 0;
    if (partitioned) {
        core::PartitionRotation rotation(database, names, std::chrono::hours(7 * 24));
        for (const auto& p : rotation.dropDedupOlderThan(cutoff, nowMs, std::chrono::seconds(60)))
            removed += static_cast<std::size_t>(p.rows);
    }
    // As cleanup:dedup: the batches delete what no drop took (everything, unpartitioned).
    core::DedupStore dedup(database.dialect(), names.dedup, partitioned);
    for (std::size_t n = 1000; n == 1000;) {
        auto session = database.session();
        n = dedup.removeOlderThan(*session, cutoff, 1000);
        removed += n;
    }
    const double seconds = cleaning.seconds();
    inbox.setCleaning(false);
    inbox.stop();
    auto during = inbox.latencies(true);
    auto before = inbox.latencies(false);
    std::int64_t left = 0;
    {
        auto session = database.session();
        *session << "SELECT COUNT(*) FROM " + names.dedup + " WHERE processed_at < " +
                        std::to_string(cutoff),
            into(left), now;
    }
    if (left != 0)
        throw std::runtime_error(how + " left " + std::to_string(left) + " old rows");
    report("cleanup of " + std::to_string(rows) + " dedup rows by " + how, seconds, "s", 2);
    report("inbox dedup transaction p99 while " + how + " runs (" + std::to_string(during.size()) +
               " transactions of " + std::to_string(kWriterBatch) + " rows)",
           percentile(during, 0.99), "ms", 1);
    report("inbox dedup transaction p99 before it (" + how + " run)", percentile(before, 0.99),
           "ms", 1);
    report("inbox dedup transaction max while " + how + " runs", percentile(during, 1.0), "ms", 1);
}

} // namespace

void cleanupComparison(std::int64_t rows) {
    note("cleanup: the inbox stand-in commits " + std::to_string(kWriterBatch) +
         " dedup rows every " + std::to_string(kWriterTick.count()) +
         " ms on the same table (DedupStore, as a consumer's batch) while each cleanup runs");
    cleanupRun(false, rows);
    cleanupRun(true, rows);
}

} // namespace msgbus::bench
