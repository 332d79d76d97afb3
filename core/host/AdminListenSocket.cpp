#include "core/host/AdminListenSocket.h"

#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocketImpl.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocketImpl.h>

#include <sys/socket.h>

namespace msgbus::core {
namespace {

using Clock = std::chrono::steady_clock;

class StampedStreamSocketImpl : public Poco::Net::StreamSocketImpl {
public:
    explicit StampedStreamSocketImpl(poco_socket_t fd)
        : Poco::Net::StreamSocketImpl(fd), _acceptedAt(Clock::now()) {}
    Clock::time_point acceptedAt() const noexcept { return _acceptedAt; }

private:
    const Clock::time_point _acceptedAt;
};

/// Poco's accept, except that the accepted socket is a StampedStreamSocketImpl: Poco offers no
/// other place to attach the accept time to a connection on its way through the server's queue.
class StampingServerSocketImpl : public Poco::Net::ServerSocketImpl {
public:
    Poco::Net::SocketImpl* acceptConnection(Poco::Net::SocketAddress& clientAddr) override {
        if (!initialized())
            throw Poco::Net::InvalidSocketException("admin endpoint: accept on a closed socket");
        sockaddr_storage buffer{};
        auto* address = reinterpret_cast<sockaddr*>(&buffer);
        poco_socklen_t length = sizeof(buffer);
        poco_socket_t fd;
        do {
            fd = ::accept(sockfd(), address, &length);
        } while (fd == POCO_INVALID_SOCKET && lastError() == POCO_EINTR);
        if (fd == POCO_INVALID_SOCKET)
            error("admin endpoint: accept"); // throws
        clientAddr = Poco::Net::SocketAddress(address, length);
        return new StampedStreamSocketImpl(fd);
    }
};

} // namespace

AdminListenSocket::AdminListenSocket(int port, const std::string& host)
    : Poco::Net::ServerSocket(new StampingServerSocketImpl, true) {
    impl()->bind(Poco::Net::SocketAddress(host, static_cast<Poco::UInt16>(port)), true);
    impl()->listen();
}

std::optional<Clock::time_point>
AdminListenSocket::acceptedAt(const Poco::Net::StreamSocket& socket) {
    if (const auto* stamped = dynamic_cast<const StampedStreamSocketImpl*>(socket.impl()))
        return stamped->acceptedAt();
    return std::nullopt;
}

} // namespace msgbus::core
