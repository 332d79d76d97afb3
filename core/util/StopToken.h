#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

namespace msgbus::core {

/// Shutdown request shared by the workers: a flag they poll between batches and an
/// interruptible sleep, so SIGTERM never waits for a backoff or a poll interval to run out.
/// Other waits end at a stop too by registering on token() (a std::stop_callback), as the
/// relays' wake-up does. Thread-safe; outlives every worker that holds it.
class StopToken {
public:
    void requestStop() {
        // Runs the callbacks registered on token() here, in this thread.
        _source.request_stop();
        {
            // Taken so that a sleeper between its check and its wait cannot miss the notify.
            std::lock_guard lock(_mutex);
        }
        _cv.notify_all();
    }

    bool stopRequested() const noexcept { return _source.stop_requested(); }

    /// Sleeps up to duration; returns true when a stop was requested.
    template <class Rep, class Period> bool sleepFor(std::chrono::duration<Rep, Period> duration) {
        std::unique_lock lock(_mutex);
        return _cv.wait_for(lock, duration, [this] { return stopRequested(); });
    }

    /// For waits on other conditions that must end at a stop as well.
    std::stop_token token() const noexcept { return _source.get_token(); }

private:
    std::stop_source _source;
    std::mutex _mutex;
    std::condition_variable _cv;
};

} // namespace msgbus::core
