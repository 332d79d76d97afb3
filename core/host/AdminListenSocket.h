#pragma once

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <chrono>
#include <optional>
#include <string>

namespace msgbus::core {

/// The admin endpoint's listening socket on <host>:<port> (0: a free port; host 127.0.0.1 for
/// the operations endpoint). Every connection
/// it accepts remembers when it was accepted, so that a request's read deadline counts from the
/// accept and not from the moment a server thread gets to the connection: a connection that
/// waited in the queue behind idle clients has used up its time already.
/// Threading: as Poco::Net::ServerSocket (accepted by the server's one acceptor thread).
/// Failure: the constructor throws Poco::Net::NetException (e.g. the port is taken), accepting
/// throws what Poco's accept throws.
class AdminListenSocket : public Poco::Net::ServerSocket {
public:
    explicit AdminListenSocket(int port, const std::string& host = "127.0.0.1");

    /// When `socket` was accepted, if an AdminListenSocket accepted it, else nullopt.
    static std::optional<std::chrono::steady_clock::time_point>
    acceptedAt(const Poco::Net::StreamSocket& socket);
};

} // namespace msgbus::core
