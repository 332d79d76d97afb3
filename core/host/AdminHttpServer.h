#pragma once

#include <functional>
#include <memory>
#include <string>

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}
} // namespace Poco

namespace msgbus::core {

/// The operations endpoint on 127.0.0.1:<http.port>, on a thread pool of its own
/// (never competing with the workers):
///   /metrics  Prometheus text: what metrics() returns
///   /health   200 while the process runs; the body says the plugin generation and the last
///             reload error ("degraded" when the last reload failed)
///   /ready    200 when ready() says the database and the broker answered recently, else 503
class AdminHttpServer {
public:
    struct Probes {
        std::function<std::string()> metrics;
        std::function<std::string()> health;     ///< JSON body
        std::function<bool(std::string&)> ready; ///< fills the reason
    };

    AdminHttpServer(int port, Probes probes);
    ~AdminHttpServer();
    AdminHttpServer(const AdminHttpServer&) = delete;
    AdminHttpServer& operator=(const AdminHttpServer&) = delete;

    /// The port actually bound.
    int port() const noexcept { return _port; }

private:
    std::unique_ptr<Probes> _probesHolder;
    std::unique_ptr<Poco::ThreadPool> _threads;
    std::unique_ptr<Poco::Net::HTTPServer> _server;
    int _port;
};

} // namespace msgbus::core
