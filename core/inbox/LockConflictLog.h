#pragma once

#include "core/metrics/Metrics.h"

#include <Poco/Logger.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace msgbus::core {

/// Counts the batches of one inbox lane that lost a lock conflict and are run again
/// (msgbus_inbox_lock_conflict_reruns_total{consumer}), and says so in the log at most once
/// per interval: under contention such reruns come by the dozen, and each one is nobody's
/// fault, but an operator must see that they happen and how often.
///
/// Not thread-safe: one per lane. metrics and log must outlive it.
class LockConflictLog {
public:
    using Clock = std::chrono::steady_clock;

    LockConflictLog(Metrics& metrics, std::string consumer, Poco::Logger& log,
                    std::chrono::seconds interval = std::chrono::seconds(30));

    /// A batch lost a lock conflict (error) and runs again (its rerun-th time); true when a
    /// line was logged for it (the first one, then one per interval with the count between).
    bool rerun(int rerun, const std::string& error, Clock::time_point now = Clock::now());

private:
    Metrics& _metrics;
    const std::string _consumer;
    Poco::Logger& _log;
    const std::chrono::seconds _interval;
    bool _logged = false;
    Clock::time_point _loggedAt;
    std::uint64_t _unlogged = 0;
};

} // namespace msgbus::core
