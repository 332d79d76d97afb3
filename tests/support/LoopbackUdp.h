#pragma once

// Header-only: the unit tests use it too, and they do not link the support sources.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace msgbus::test {

/// A UDP socket bound to a free port on loopback, closed with the object: a doorbell address
/// for a test to listen on, or (see freeUdpPort) to leave unanswered.
class LoopbackUdpSocket {
public:
    LoopbackUdpSocket() : _fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(_fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
        socklen_t length = sizeof address;
        ::getsockname(_fd, reinterpret_cast<sockaddr*>(&address), &length);
        _port = ntohs(address.sin_port);
    }
    ~LoopbackUdpSocket() { ::close(_fd); }
    LoopbackUdpSocket(const LoopbackUdpSocket&) = delete;
    LoopbackUdpSocket& operator=(const LoopbackUdpSocket&) = delete;

    int fd() const noexcept { return _fd; }
    int port() const noexcept { return _port; }

private:
    int _fd;
    int _port = 0;
};

/// A UDP port nobody listens on (free a moment ago).
inline int freeUdpPort() {
    return LoopbackUdpSocket().port();
}

} // namespace msgbus::test
