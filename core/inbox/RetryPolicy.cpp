#include "core/inbox/RetryPolicy.h"

#include <algorithm>

namespace msgbus::core {

RetryPolicy::RetryPolicy(const RetrySettings& settings)
    : _maxRetries(settings.maxRetries), _lease(settings.lease),
      _backoff(settings.delay, settings.multiplier, settings.maxDelay) {}

RetryPolicy::Decision RetryPolicy::decide(bool retryable, int attempt, std::int64_t nowMs) const {
    Decision decision;
    decision.retry = retryable && attempt <= _maxRetries;
    decision.dueAt = decision.retry ? nowMs + _backoff.delay(attempt).count() : nowMs;
    return decision;
}

std::chrono::milliseconds RetryPolicy::leaseHold(int attempt) const {
    return std::max(_backoff.delay(attempt), _lease);
}

bool RetryPolicy::diedOnLastAttempt(const FailedRecord& row) const {
    // A "running" row that comes due again was leased (its attempt counted) and never settled.
    return row.queueName == "running" && row.attempts > _maxRetries;
}

std::string RetryPolicy::diedOnLastAttemptReason(const FailedRecord& row) const {
    return "attempt " + std::to_string(row.attempts) +
           " began and never ended: a host stopped while running it (retry.max_retries = " +
           std::to_string(_maxRetries) + "); last error: " + row.errorClass + ": " +
           row.errorMessage;
}

} // namespace msgbus::core
