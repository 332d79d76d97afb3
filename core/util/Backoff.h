#pragma once

#include <chrono>
#include <cstdint>

namespace msgbus::core {

/// Capped exponential backoff with full jitter: attempt n waits a random time in
/// [base*mult^(n-1) / 2, base*mult^(n-1)], capped at max. Thread-safe (thread-local RNG).
class Backoff {
public:
    Backoff(std::chrono::milliseconds base, double multiplier, std::chrono::milliseconds max)
        : _base(base), _multiplier(multiplier), _max(max) {}

    /// The delay before retry number attempt (1-based).
    std::chrono::milliseconds delay(int attempt) const;

    /// The delay without jitter (for tests and for deterministic schedules).
    std::chrono::milliseconds ceiling(int attempt) const;

private:
    std::chrono::milliseconds _base;
    double _multiplier;
    std::chrono::milliseconds _max;
};

} // namespace msgbus::core
