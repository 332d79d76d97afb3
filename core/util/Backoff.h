#pragma once

#include <chrono>
#include <cstdint>

namespace msgbus::core {

/// Capped exponential backoff with "equal" jitter: attempt n waits a random time in
/// [c/2, c], c = min(base*mult^(n-1), max). Half the delay is kept so that a retry never comes
/// almost at once (full jitter, [0, c], would); the random half spreads the workers that failed
/// together. Thread-safe (thread-local RNG).
class Backoff {
public:
    Backoff(std::chrono::milliseconds base, double multiplier, std::chrono::milliseconds max)
        : _base(base), _multiplier(multiplier), _max(max) {}

    /// The schedule of a worker whose broker or database is unreachable: 0.2 s doubling up to
    /// 5 s. A connection attempt costs next to nothing, and the cap bounds how long the host
    /// stays idle after the service is back (with 30 s it took up to half a minute).
    static Backoff forOutage() {
        return Backoff(std::chrono::milliseconds(200), 2.0, std::chrono::milliseconds(5000));
    }

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
