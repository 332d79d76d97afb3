#include "core/host/SignalThread.h"

#include <csignal>
#include <pthread.h>

namespace msgbus::core {
namespace {

sigset_t handledSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGUSR2); // our own wake-up to end the thread at destruction
    return set;
}

} // namespace

void SignalThread::blockSignals() {
    sigset_t set = handledSignals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

SignalThread::SignalThread(std::function<void()> onStop, std::function<void()> onReload) {
    _thread = std::thread([onStop = std::move(onStop), onReload = std::move(onReload)] {
        sigset_t set = handledSignals();
        for (;;) {
            int sig = 0;
            if (sigwait(&set, &sig) != 0)
                continue;
            if (sig == SIGHUP) {
                if (onReload)
                    onReload();
                continue;
            }
            if (sig != SIGUSR2 && onStop)
                onStop();
            return;
        }
    });
}

SignalThread::~SignalThread() {
    if (_thread.joinable()) {
        pthread_kill(_thread.native_handle(), SIGUSR2);
        _thread.join();
    }
}

} // namespace msgbus::core
