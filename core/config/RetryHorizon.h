#pragma once

#include "core/config/Settings.h"

#include <chrono>
#include <string>

namespace msgbus::core {

/// How long after its first delivery a message can still come back to a consumer through the
/// retry schedule: the sum of the retry delays, retry.delay_ms * retry.multiplier^(n-1) capped
/// at retry.max_delay_ms, for n = 1 .. retry.max_retries (the jitter only ever shortens a delay).
/// Its deduplication row must outlive that, or the redelivery runs the handlers a second time.
std::chrono::milliseconds retryHorizon(const RetrySettings& retry);

/// The shortest dedup.retention the configuration accepts, and the shortest age `cleanup:dedup
/// --older-than` accepts without --force: the retry horizon, and never less than one hour
/// (broker redeliveries and operators' failed:retry come on top).
std::chrono::milliseconds minimumDedupRetention(const RetrySettings& retry);

/// "1h", "2h 30m", "45s", "3d 4h" (whole seconds; the largest units first, zero parts left out).
std::string durationText(std::chrono::milliseconds duration);

} // namespace msgbus::core
