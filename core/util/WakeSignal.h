#pragma once

namespace msgbus::core {

/// A file descriptor another thread can make readable (an eventfd), so that a thread waiting
/// in poll() on a socket also wakes when there is work for it. Signals before the wait are
/// kept until drained. Thread-safe: signal() from any thread.
class WakeSignal {
public:
    /// Throws msgbus::Error when the kernel gives no eventfd.
    WakeSignal();
    ~WakeSignal();
    WakeSignal(const WakeSignal&) = delete;
    WakeSignal& operator=(const WakeSignal&) = delete;

    void signal() noexcept;
    /// Forgets the signals so far.
    void drain() noexcept;
    int fd() const noexcept { return _fd; }

private:
    int _fd;
};

} // namespace msgbus::core
