#include "core/util/Backoff.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace msgbus::core {

std::chrono::milliseconds Backoff::ceiling(int attempt) const {
    double value = static_cast<double>(_base.count()) *
                   std::pow(_multiplier, static_cast<double>(std::max(0, attempt - 1)));
    double capped = std::min(value, static_cast<double>(_max.count()));
    return std::chrono::milliseconds(static_cast<std::int64_t>(capped));
}

std::chrono::milliseconds Backoff::delay(int attempt) const {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    auto top = ceiling(attempt).count();
    if (top <= 1)
        return std::chrono::milliseconds(top);
    std::uniform_int_distribution<std::int64_t> dist(top / 2, top);
    return std::chrono::milliseconds(dist(rng));
}

} // namespace msgbus::core
