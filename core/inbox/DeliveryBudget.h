#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <stop_token>

namespace msgbus::core {

/// How many deliveries the lanes of a consumer may still process when it runs for a limited
/// number (0: no limit). A lane reserves what it gathers for a batch and puts back what it did
/// not process, so the lanes together process exactly the limit. A lane that found the rest
/// reserved waits for it (waitForRoom) instead of asking again and again. Thread-safe.
class DeliveryBudget {
public:
    explicit DeliveryBudget(std::uint64_t limit) : _limit(limit), _left(limit) {}

    /// Reserves up to want; 0 when the rest is reserved by other lanes.
    std::size_t take(std::size_t want) {
        std::lock_guard lock(_mutex);
        if (_limit == 0)
            return want;
        const auto taken = static_cast<std::size_t>(std::min<std::uint64_t>(want, _left));
        _left -= taken;
        return taken;
    }

    /// processed of reserved were processed; the rest is free again.
    void spent(std::size_t reserved, std::size_t processed) {
        std::lock_guard lock(_mutex);
        if (_limit == 0)
            return;
        _done += processed;
        _left += reserved - std::min(reserved, processed);
        _changed.notify_all();
    }

    /// Waits until some of the limit is free to reserve again, the limit is reached, stop is
    /// requested or timeout passes; true when take() may give something now.
    bool waitForRoom(std::stop_token stop, std::chrono::milliseconds timeout) {
        std::unique_lock lock(_mutex);
        return _changed.wait_for(lock, stop, timeout, [this] {
            return _limit == 0 || _left > 0 || _done >= _limit;
        }) && (_limit == 0 || _left > 0);
    }

    /// The limit is reached: every lane stops.
    bool exhausted() const {
        std::lock_guard lock(_mutex);
        return _limit > 0 && _done >= _limit;
    }

private:
    mutable std::mutex _mutex;
    std::condition_variable_any _changed; ///< spent() gave some back or reached the limit
    const std::uint64_t _limit;
    std::uint64_t _left;
    std::uint64_t _done = 0;
};

} // namespace msgbus::core
