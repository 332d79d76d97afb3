#include "core/config/RetryHorizon.h"

#include "core/util/Backoff.h"

#include <algorithm>

namespace msgbus::core {

std::chrono::milliseconds retryHorizon(const RetrySettings& retry) {
    const Backoff backoff(retry.delay, retry.multiplier, retry.maxDelay);
    std::chrono::milliseconds total{0};
    for (int attempt = 1; attempt <= retry.maxRetries; ++attempt)
        total += backoff.ceiling(attempt);
    return total;
}

std::chrono::milliseconds minimumDedupRetention(const RetrySettings& retry) {
    return std::max<std::chrono::milliseconds>(std::chrono::hours(1), retryHorizon(retry));
}

std::string durationText(std::chrono::milliseconds duration) {
    std::int64_t seconds = (duration.count() + 999) / 1000;
    const std::pair<std::int64_t, const char*> units[] = {
        {86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
    std::string out;
    for (const auto& [size, name] : units) {
        if (seconds < size)
            continue;
        // Appended piece by piece: "literal" + std::string&& trips GCC 12's -Wrestrict at -O2.
        if (!out.empty())
            out += ' ';
        out += std::to_string(seconds / size);
        out += name;
        seconds %= size;
    }
    return out.empty() ? "0s" : out;
}

} // namespace msgbus::core
