#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace msgbus::core {

/// Shutdown request shared by the workers: a flag they poll between batches and an
/// interruptible sleep, so SIGTERM never waits for a backoff or a poll interval to run out.
/// It also carries the relay's wake-up: a handler that publishes through HandlerContext calls
/// wake(), and relays idling in sleepUntilWoken() poll the outbox at once instead of after the
/// poll interval. Thread-safe.
class StopSignal {
public:
    void requestStop() {
        {
            std::lock_guard lock(_mutex);
            _stop = true;
        }
        _cv.notify_all();
    }

    bool stopRequested() const noexcept { return _stop.load(); }

    /// Sleeps up to duration; returns true when a stop was requested.
    template <class Rep, class Period> bool sleepFor(std::chrono::duration<Rep, Period> duration) {
        std::unique_lock lock(_mutex);
        return _cv.wait_for(lock, duration, [this] { return _stop.load(); });
    }

    /// Ends every current sleepUntilWoken() early.
    void wake() {
        {
            std::lock_guard lock(_mutex);
            ++_wakeups;
        }
        _cv.notify_all();
    }

    /// Sleeps up to duration or until wake() or a stop; returns true when a stop was requested.
    template <class Rep, class Period>
    bool sleepUntilWoken(std::chrono::duration<Rep, Period> duration) {
        std::unique_lock lock(_mutex);
        const std::uint64_t seen = _wakeups;
        return _cv.wait_for(lock, duration, [&] { return _stop.load() || _wakeups != seen; }) &&
               _stop.load();
    }

private:
    std::uint64_t _wakeups = 0;
    std::atomic<bool> _stop{false};
    std::mutex _mutex;
    std::condition_variable _cv;
};

} // namespace msgbus::core
