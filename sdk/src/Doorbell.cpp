#include "msgbus/Doorbell.h"

#include "msgbus/Error.h"
#include "msgbus/internal/DoorbellWire.h"

#include <cerrno>
#include <cstring>
#include <mutex>

#include <sys/socket.h>
#include <unistd.h>

namespace msgbus {

struct Doorbell::Target {
    DoorbellAddress address;
    int fd = -1;

    ~Target() {
        if (fd >= 0)
            ::close(fd);
    }
};

Doorbell::Doorbell(const std::string& address) : _target(std::make_unique<Target>()) {
    if (address.empty())
        return;
    _target->address = DoorbellAddress::parse(address, "doorbell address");
    const int family = _target->address.kind == DoorbellAddress::Kind::Udp ? AF_INET : AF_UNIX;
    // Non-blocking: a ring must never make the application wait (a Unix socket whose reader
    // is behind would otherwise block the sender).
    _target->fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (_target->fd < 0)
        throw Error("doorbell " + address + ": cannot open a socket: " + std::strerror(errno));
    if (_target->address.broadcast) {
        const int on = 1;
        if (::setsockopt(_target->fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on) != 0)
            throw Error("doorbell " + address +
                        ": cannot send broadcasts: " + std::strerror(errno));
    }
}

Doorbell::~Doorbell() = default;

void Doorbell::ring(const std::string& table) const noexcept {
    if (_target->fd < 0)
        return;
    char datagram[kDoorbellRingCapacity];
    const std::size_t length = writeDoorbellRing(table, datagram, sizeof datagram);
    if (length == 0)
        return;
    const auto& to = _target->address;
    // Errors are the point of a hint: nobody listening (ECONNREFUSED, ENOENT), a full buffer
    // (EAGAIN) or anything else leaves the rows to the relays' poll.
    (void)::sendto(_target->fd, datagram, length, MSG_DONTWAIT | MSG_NOSIGNAL,
                   reinterpret_cast<const sockaddr*>(&to.socket), to.length);
}

const std::string& Doorbell::address() const noexcept {
    return _target->address.text;
}

std::shared_ptr<const Doorbell> Doorbell::standard() {
    static std::mutex mutex;
    static std::shared_ptr<const Doorbell> doorbell;
    std::lock_guard lock(mutex);
    if (!doorbell)
        doorbell = std::make_shared<const Doorbell>(kDefaultAddress);
    return doorbell;
}

} // namespace msgbus
