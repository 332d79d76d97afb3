#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/TCPServerConnectionFactory.h>

#include <atomic>
#include <chrono>
#include <string_view>

namespace msgbus::core {

/// True when `received` holds a whole HTTP request head (request line and header fields, ended
/// by an empty line; bare LF line ends count, as Poco's parser accepts them).
bool requestHeadComplete(std::string_view received) noexcept;

/// Makes the admin endpoint's connections. Each one first waits, without reading, until its
/// whole request head has arrived, at most `readTimeout` after the connection was accepted
/// (AdminListenSocket stamps it). Only then does Poco's HTTP connection parse and answer it, so
/// its reads never block and a thread is never held longer than the read timeout by a client
/// that sends nothing, half a request, or a byte at a time. A connection accepted longer ago
/// than the timeout whose request is not all there is closed at once: a queue of idle clients
/// drains in one timeout, not one timeout per thread-full. An incomplete request gets 408, a
/// head over 8 KiB 431, a connection that sent nothing is closed without an answer.
/// Threading: createConnection() and the connections run on the server's threads; stopWaiting()
/// from any thread. Ownership: the TCP server owns the factory, which outlives its connections.
class AdminConnectionFactory : public Poco::Net::TCPServerConnectionFactory {
public:
    AdminConnectionFactory(Poco::Net::HTTPServerParams::Ptr params,
                           Poco::Net::HTTPRequestHandlerFactory::Ptr handlers,
                           std::chrono::milliseconds readTimeout);

    Poco::Net::TCPServerConnection*
    createConnection(const Poco::Net::StreamSocket& socket) override;

    /// Connections still waiting for their request give up (within 100 ms), for a quick stop.
    void stopWaiting() noexcept { _stopping = true; }

private:
    Poco::Net::HTTPServerParams::Ptr _params;
    Poco::Net::HTTPRequestHandlerFactory::Ptr _handlers;
    std::chrono::milliseconds _readTimeout;
    std::atomic<bool> _stopping{false};
};

} // namespace msgbus::core
