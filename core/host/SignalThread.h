#pragma once

#include <functional>
#include <thread>

namespace msgbus::core {

/// Signal handling that Poco 1.11's ServerApplication does not give a non-daemon: main() blocks
/// SIGHUP, SIGINT, SIGTERM and SIGQUIT before any thread exists (blockSignals), so every thread
/// inherits the mask, and this thread alone receives them with sigwait(). SIGHUP calls onReload
/// (on this thread: it only builds and publishes a plugin set); the others call onStop once and
/// end the thread.
class SignalThread {
public:
    /// Call first thing in main(), before any thread is created. Also ignores SIGPIPE.
    static void blockSignals();

    SignalThread(std::function<void()> onStop, std::function<void()> onReload);
    ~SignalThread();
    SignalThread(const SignalThread&) = delete;
    SignalThread& operator=(const SignalThread&) = delete;

private:
    std::thread _thread;
};

} // namespace msgbus::core
