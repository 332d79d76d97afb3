#include "core/outbox/DoorbellListener.h"

#include <msgbus/Error.h>
#include <msgbus/internal/DoorbellWire.h>

#include <Poco/Logger.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace msgbus::core {

DoorbellListener::DoorbellListener(std::unique_ptr<DoorbellSocket> socket, std::string table,
                                   RelayWakeup& wakeup, Metrics& metrics)
    : _socket(std::move(socket)), _table(std::move(table)), _wakeup(wakeup), _metrics(metrics),
      _stopFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (_stopFd < 0)
        throw Error(std::string("doorbell: cannot create the listener's stop signal: ") +
                    std::strerror(errno));
    _thread = std::thread([this] { run(); });
}

DoorbellListener::~DoorbellListener() {
    const std::uint64_t one = 1;
    (void)::write(_stopFd, &one, sizeof one);
    if (_thread.joinable())
        _thread.join();
    ::close(_stopFd);
}

void DoorbellListener::run() {
    // A wait that fails for another reason than a signal would fail again at once: end the
    // thread (the relays poll) rather than spin.
    while (turn()) {
        pollfd stop{_stopFd, POLLIN, 0};
        const int rc = ::poll(&stop, 1, kQuietPeriodMillis);
        if (rc > 0 || (rc < 0 && errno != EINTR))
            return;
    }
}

bool DoorbellListener::turn() {
    pollfd fds[2] = {{_socket->fd(), POLLIN, 0}, {_stopFd, POLLIN, 0}};
    for (;;) {
        const int rc = ::poll(fds, 2, -1);
        if (rc > 0)
            break;
        if (rc < 0 && errno != EINTR) {
            Poco::Logger::get("msgbus.relay")
                .warning("doorbell: the listener stopped (%s); the relays poll",
                         std::string(std::strerror(errno)));
            return false;
        }
    }
    if (fds[1].revents != 0)
        return false;
    char buffer[kDoorbellRingCapacity + 1];
    std::uint64_t rings = 0;
    std::uint64_t ignored = 0;
    for (int i = 0; i < kMaxPerTurn; ++i) {
        const auto datagram = _socket->receive(buffer, sizeof buffer);
        if (!datagram)
            break;
        ++(isDoorbellRingFor(*datagram, _table) ? rings : ignored);
    }
    if (rings > 0) {
        _wakeup.wake();
        Metrics::add(_metrics.doorbellWakeups);
    }
    Metrics::add(_metrics.doorbellRings, rings);
    Metrics::add(_metrics.doorbellIgnored, ignored);
    return true;
}

} // namespace msgbus::core
