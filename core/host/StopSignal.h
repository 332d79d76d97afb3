#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace msgbus::core {

/// Shutdown request shared by the workers: a flag they poll between batches and an
/// interruptible sleep, so SIGTERM never waits for a backoff or a poll interval to run out.
/// Thread-safe.
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

private:
    std::atomic<bool> _stop{false};
    std::mutex _mutex;
    std::condition_variable _cv;
};

} // namespace msgbus::core
