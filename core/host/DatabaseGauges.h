#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace msgbus::core {

class Database;

/// The database gauges of /metrics (outbox depth, oldest pending age, retry and failed rows),
/// computed on a thread of their own and served from the last result.
///
/// A scrape never waits for the database: the COUNTs run at most once per interval, on a
/// session taken with Database::trySession() (when the workers hold every session, this round is
/// skipped rather than competing with them), and a slow or hanging query delays only the next
/// refresh, never /metrics, /health or /ready. The thread starts in the constructor and is
/// stopped and joined by the destructor. snapshot() is thread-safe.
class DatabaseGauges {
public:
    struct Values {
        std::int64_t outboxPending = 0;
        std::optional<std::int64_t> oldestPendingCreatedAt; ///< epoch ms
        std::int64_t retryRows = 0;
        std::int64_t failedRows = 0;
        std::int64_t computedAt = 0; ///< epoch ms
    };

    /// The tables counted: outbox.table and failed.table.
    struct Tables {
        std::string outbox;
        std::string failed;
    };

    static constexpr std::chrono::milliseconds kDefaultInterval{5000};

    DatabaseGauges(Database& database, Tables tables,
                   std::chrono::milliseconds interval = kDefaultInterval);
    ~DatabaseGauges();
    DatabaseGauges(const DatabaseGauges&) = delete;
    DatabaseGauges& operator=(const DatabaseGauges&) = delete;

    /// The last values computed, or nothing before the first successful refresh.
    std::optional<Values> snapshot() const;

private:
    void run();
    void refresh();

    Database& _database;
    const Tables _tables;
    const std::chrono::milliseconds _interval;
    mutable std::mutex _mutex;
    std::condition_variable _wake;
    bool _stop = false;
    std::optional<Values> _last;
    std::thread _thread;
};

} // namespace msgbus::core
