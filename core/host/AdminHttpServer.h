#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <Poco/SharedPtr.h>

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPRequestHandler;
class HTTPRequestHandlerFactory;
class HTTPServerRequest;
class TCPServer;
} // namespace Net
} // namespace Poco

namespace msgbus::core {

class AdminConnectionFactory;

/// The operations endpoint on 127.0.0.1:<http.port> (or another address, for the console), on
/// a thread pool of its own (never competing with the workers):
///   /metrics  Prometheus text: what metrics() returns
///   /health   200 while the process runs; the body says the plugin generation and the last
///             reload error ("degraded" when the last reload failed)
///   /ready    200 when ready() says the database and the broker answered recently, else 503
/// It stays answerable while local clients misbehave: a request must arrive whole within
/// kRequestReadTimeout of the connect, else the connection is closed (408 when half of it came),
/// one request per connection, kThreads threads and at most kMaxQueued connections waiting.
/// Threading: the probes run on the endpoint's threads, several at once. Failure: the
/// constructor throws Poco::Net::NetException when the port cannot be bound.
class AdminHttpServer {
public:
    /// Probes (kubelet, systemd, curl) and scrapers on loopback send their request as soon as
    /// they connect; a client that has not sent it within this time is not one of them and must
    /// not keep a probe waiting (the probes themselves give up after a few seconds).
    static constexpr std::chrono::milliseconds kRequestReadTimeout{2000};
    /// Enough for a few scrapes, probes and stuck clients at once; all of them are short.
    static constexpr int kThreads = 8;
    /// Connections waiting for a thread; past that the server refuses at once (the client sees
    /// a closed connection and retries) instead of piling up sockets.
    static constexpr int kMaxQueued = 64;

    /// Each probe may be empty: its path then answers 404.
    struct Probes {
        std::function<std::string()> metrics;
        std::function<std::string()> health;     ///< JSON body
        std::function<bool(std::string&)> ready; ///< fills the reason
        /// Asked first for every request: a handler for the paths it serves (the console's),
        /// nullptr for the others. The server owns and deletes the handler.
        std::function<Poco::Net::HTTPRequestHandler*(const Poco::Net::HTTPServerRequest&)>
            extension{};
    };

    /// host: the address to listen on (127.0.0.1 for the operations endpoint).
    AdminHttpServer(int port, Probes probes, const std::string& host = "127.0.0.1");
    ~AdminHttpServer();
    AdminHttpServer(const AdminHttpServer&) = delete;
    AdminHttpServer& operator=(const AdminHttpServer&) = delete;

    /// The port actually bound.
    int port() const noexcept { return _port; }

private:
    std::unique_ptr<Probes> _probesHolder;
    std::unique_ptr<Poco::ThreadPool> _threads;
    Poco::SharedPtr<Poco::Net::HTTPRequestHandlerFactory> _handlers;
    AdminConnectionFactory* _connections; ///< owned by _server, which outlives its use here
    std::unique_ptr<Poco::Net::TCPServer> _server;
    int _port;
};

} // namespace msgbus::core
