#include "core/outbox/DoorbellSocket.h"

#include <msgbus/Error.h>

#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace msgbus::core {
namespace {

// Room for a few dozen rings (the kernel doubles it and counts each datagram's overhead): the
// first ring is what matters, the rest only say the same again.
constexpr int kReceiveBufferBytes = 16 * 1024;

std::string reason() {
    return std::strerror(errno);
}

/// An owned descriptor while the constructor may still throw.
struct Descriptor {
    int fd;
    ~Descriptor() {
        if (fd >= 0)
            ::close(fd);
    }
    int release() {
        const int out = fd;
        fd = -1;
        return out;
    }
};

/// Whether a process has the Unix datagram socket at address bound (a connect succeeds).
bool unixSocketIsLive(const DoorbellAddress& address) {
    Descriptor probe{::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
    if (probe.fd < 0)
        return false;
    return ::connect(probe.fd, reinterpret_cast<const sockaddr*>(&address.socket),
                     address.length) == 0;
}

} // namespace

DoorbellSocket::DoorbellSocket(const std::string& address)
    : _address(DoorbellAddress::parse(address, "outbox.doorbell")) {
    const bool udp = _address.kind == DoorbellAddress::Kind::Udp;
    Descriptor socket{
        ::socket(udp ? AF_INET : AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
    if (socket.fd < 0)
        throw Error("doorbell " + address + ": cannot open a socket: " + reason());
    const int on = 1;
    if (udp && _address.broadcast &&
        ::setsockopt(socket.fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0)
        throw Error("doorbell " + address + ": cannot share the address: " + reason());
    // Best effort: a larger buffer only means more rings read after a flood.
    (void)::setsockopt(socket.fd, SOL_SOCKET, SO_RCVBUF, &kReceiveBufferBytes,
                       sizeof kReceiveBufferBytes);
    _fd = socket.release();
    try {
        if (udp)
            bindUdp();
        else
            bindUnix();
    } catch (...) {
        ::close(_fd);
        _fd = -1;
        throw;
    }
}

void DoorbellSocket::bindUdp() {
    if (::bind(_fd, reinterpret_cast<const sockaddr*>(&_address.socket), _address.length) == 0)
        return;
    const bool taken = errno == EADDRINUSE;
    std::string error = "doorbell " + _address.text + ": cannot bind: " + reason();
    if (taken && !_address.broadcast)
        error += " (another process, another host perhaps, listens there: give each host its "
                 "own port, or use a broadcast address such as 127.255.255.255, which the hosts "
                 "share)";
    throw Error(error);
}

void DoorbellSocket::bindUnix() {
    const auto* un = reinterpret_cast<const sockaddr_un*>(&_address.socket);
    const std::string path = un->sun_path;
    struct stat status {};
    if (::lstat(path.c_str(), &status) == 0) {
        if (!S_ISSOCK(status.st_mode))
            throw Error("doorbell " + _address.text + ": " + path +
                        " exists and is not a socket; not replacing it");
        if (unixSocketIsLive(_address))
            throw Error("doorbell " + _address.text +
                        ": another process (another host perhaps) listens there; give each host "
                        "a path of its own");
        // Left behind by a host that died: nobody can receive on it any more.
        ::unlink(path.c_str());
    }
    if (::bind(_fd, reinterpret_cast<const sockaddr*>(&_address.socket), _address.length) != 0)
        throw Error("doorbell " + _address.text + ": cannot bind: " + reason());
    _ownsPath = true;
    // Anyone who can reach the directory may ring: a ring is only a hint, and the directory's
    // permissions decide who reaches it (the host's umask would otherwise shut out the
    // applications of other users).
    (void)::chmod(path.c_str(), 0666);
}

DoorbellSocket::~DoorbellSocket() {
    if (_fd >= 0)
        ::close(_fd);
    if (_ownsPath)
        ::unlink(reinterpret_cast<const sockaddr_un*>(&_address.socket)->sun_path);
}

std::optional<std::string_view> DoorbellSocket::receive(char* buffer, std::size_t size) noexcept {
    const ssize_t n = ::recv(_fd, buffer, size, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0)
        return std::nullopt;
    // Longer than any ring: garbage, whatever its first bytes say.
    if (static_cast<std::size_t>(n) > size)
        return std::string_view();
    return std::string_view(buffer, static_cast<std::size_t>(n));
}

} // namespace msgbus::core
