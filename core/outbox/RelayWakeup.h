#pragma once

#include "core/util/StopToken.h"
#include "core/util/WakeSignal.h"

#include <algorithm>
#include <vector>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>

namespace msgbus::core {

/// Ends the idle sleep of the outbox relays early: a handler that publishes through
/// HandlerContext rings it once its transaction committed, and relays idling in sleepFor() poll
/// the outbox at once instead of after the poll interval (consume-transform-produce does not
/// wait for the next poll). A stop ends the sleep as well, at once. Thread-safe; one per host,
/// shared by its relays, and outlives them.
class RelayWakeup {
public:
    /// Ends every current sleepFor() early and signals every subscribed WakeSignal.
    void wake() {
        {
            std::lock_guard lock(_mutex);
            ++_wakeups;
            for (WakeSignal* signal : _signals)
                signal->signal();
        }
        _cv.notify_all();
    }

    /// Signals signal on every wake() while it lives: a relay that waits for the broker's
    /// confirms in poll() learns of rows committed meanwhile (RAII; signal outlives it).
    class Subscription {
    public:
        Subscription(RelayWakeup& wakeup, WakeSignal& signal) : _wakeup(wakeup), _signal(signal) {
            std::lock_guard lock(_wakeup._mutex);
            _wakeup._signals.push_back(&_signal);
        }
        ~Subscription() {
            std::lock_guard lock(_wakeup._mutex);
            auto& signals = _wakeup._signals;
            signals.erase(std::remove(signals.begin(), signals.end(), &_signal), signals.end());
        }
        Subscription(const Subscription&) = delete;
        Subscription& operator=(const Subscription&) = delete;

    private:
        RelayWakeup& _wakeup;
        WakeSignal& _signal;
    };

    /// The count of wake() calls so far. A relay reads it before it polls the outbox and
    /// sleeps with it, so that a wake() between its poll and its sleep ends that sleep at once.
    std::uint64_t epoch() {
        std::lock_guard lock(_mutex);
        return _wakeups;
    }

    /// Sleeps up to duration, or until wake() or a stop of stop; returns true when a stop was
    /// requested.
    template <class Rep, class Period>
    bool sleepFor(const StopToken& stop, std::chrono::duration<Rep, Period> duration) {
        return sleepFor(stop, duration, epoch());
    }

    /// sleepFor(), but ended at once when wake() was called since epoch() returned since.
    template <class Rep, class Period>
    bool sleepFor(const StopToken& stop, std::chrono::duration<Rep, Period> duration,
                  std::uint64_t since) {
        // Registered before the lock is taken: on a stop already requested the callback runs
        // right here, and it takes the lock itself. Destroyed after the lock is released, as
        // its destructor waits for a callback running in the stopping thread.
        std::stop_callback onStop(stop.token(), [this] { notifyAll(); });
        std::unique_lock lock(_mutex);
        _cv.wait_for(lock, duration, [&] { return stop.stopRequested() || _wakeups != since; });
        return stop.stopRequested();
    }

private:
    void notifyAll() {
        {
            // Taken so that a sleeper between its check and its wait cannot miss the notify.
            std::lock_guard lock(_mutex);
        }
        _cv.notify_all();
    }

    std::uint64_t _wakeups = 0;
    std::vector<WakeSignal*> _signals;
    std::mutex _mutex;
    std::condition_variable _cv;
};

} // namespace msgbus::core
