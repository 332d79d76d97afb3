#pragma once

#include "core/config/Settings.h"
#include "core/failed/FailedStore.h"
#include "core/util/Backoff.h"

#include <chrono>
#include <cstdint>
#include <string>

namespace msgbus::core {

/// The retry.* settings as decisions: whether a failed attempt gets another one (a retry row)
/// or ends in the failed table, when the next attempt is due, and how long a retry row is held
/// for one run.
///
/// Attempts count from 1 (the first delivery); retry.max_retries = n allows n attempts after
/// the first. Delays follow Backoff (full jitter), so a due time is a range, not a point.
///
/// Pure apart from the jitter (a thread-local random number generator): safe from any thread.
class RetryPolicy {
public:
    explicit RetryPolicy(const RetrySettings& settings);

    /// What becomes of a failed attempt.
    struct Decision {
        bool retry = false;     ///< a retry row; else a failed row
        std::int64_t dueAt = 0; ///< when the next attempt is due (nowMs for a failed row)
    };

    /// The attempt-th attempt failed at nowMs, with a failure that may (retryable) or can never
    /// succeed later.
    Decision decide(bool retryable, int attempt, std::int64_t nowMs) const;

    /// How long a retry row leased for its attempt-th attempt is held: retry.lease_ms, or the
    /// backoff of that attempt when longer: a row whose host died running it comes due no
    /// sooner than it would have after a failure.
    std::chrono::milliseconds leaseHold(int attempt) const;

    /// The row's last attempt was leased and never settled (its host died running it), and it
    /// was its last allowed one: the row becomes failed without running again.
    bool diedOnLastAttempt(const FailedRecord& row) const;

    /// The failed row's reason for a row diedOnLastAttempt() holds for.
    std::string diedOnLastAttemptReason(const FailedRecord& row) const;

    int maxRetries() const noexcept { return _maxRetries; }

private:
    int _maxRetries;
    std::chrono::milliseconds _lease;
    Backoff _backoff;
};

} // namespace msgbus::core
