#include "core/host/AdminHttpServer.h"

#include "core/host/AdminConnection.h"
#include "core/host/AdminListenSocket.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>

namespace msgbus::core {
namespace {

using Poco::Net::HTTPResponse;

class ProbeHandler : public Poco::Net::HTTPRequestHandler {
public:
    ProbeHandler(const AdminHttpServer::Probes& probes, std::string path)
        : _probes(probes), _path(std::move(path)) {}

    void handleRequest(Poco::Net::HTTPServerRequest&,
                       Poco::Net::HTTPServerResponse& response) override {
        std::string body;
        std::string type = "text/plain; charset=utf-8";
        auto status = HTTPResponse::HTTP_OK;
        try {
            if (_path == "/metrics" && _probes.metrics) {
                body = _probes.metrics();
                type = "text/plain; version=0.0.4; charset=utf-8";
            } else if (_path == "/health" && _probes.health) {
                body = _probes.health();
                type = "application/json";
            } else if (_path == "/ready" && _probes.ready) {
                std::string reason;
                bool ready = _probes.ready(reason);
                status = ready ? HTTPResponse::HTTP_OK : HTTPResponse::HTTP_SERVICE_UNAVAILABLE;
                body = ready ? (reason.empty() ? "ready\n" : "ready: " + reason + "\n")
                             : "not ready: " + reason + "\n";
            } else {
                status = HTTPResponse::HTTP_NOT_FOUND;
                body = _probes.metrics ? "not found; try /metrics, /health or /ready\n"
                                       : "not found\n";
            }
        } catch (const std::exception& e) {
            status = HTTPResponse::HTTP_INTERNAL_SERVER_ERROR;
            body = std::string("error: ") + e.what() + "\n";
        }
        response.setStatus(status);
        response.setContentType(type);
        response.setContentLength(static_cast<std::streamsize>(body.size()));
        response.send() << body;
    }

private:
    const AdminHttpServer::Probes& _probes;
    std::string _path;
};

class ProbeFactory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit ProbeFactory(const AdminHttpServer::Probes& probes) : _probes(probes) {}
    Poco::Net::HTTPRequestHandler*
    createRequestHandler(const Poco::Net::HTTPServerRequest& request) override {
        if (_probes.extension)
            if (auto* handler = _probes.extension(request))
                return handler;
        std::string path = request.getURI();
        if (auto q = path.find('?'); q != std::string::npos)
            path.resize(q);
        return new ProbeHandler(_probes, path);
    }

    /// Ends the connections in the middle of a request, as Poco's HTTPServer::stopAll(true)
    /// does (the event is protected: only a subclass or Poco's own server can raise it).
    void abortConnections() {
        const bool abortCurrent = true;
        serverStopped.notify(this, abortCurrent);
    }

private:
    const AdminHttpServer::Probes& _probes;
};

} // namespace

AdminHttpServer::AdminHttpServer(int port, Probes probes, const std::string& host)
    : _threads(std::make_unique<Poco::ThreadPool>(1, kThreads)), _port(port) {
    // The probes live in the factory's reference; keep them in a member of the factory's owner.
    auto* stored = new Probes(std::move(probes));
    _probesHolder.reset(stored);
    AdminListenSocket socket(port, host);
    _port = socket.address().port();
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(kThreads);
    params->setMaxQueued(kMaxQueued);
    // Bounds the reads of a request that is already whole (the connection waited for that),
    // so it is a backstop; Poco's default would be 60 s.
    params->setTimeout(Poco::Timespan(std::chrono::microseconds(kRequestReadTimeout).count()));
    // One request per connection: a client cannot park on a thread between requests.
    params->setKeepAlive(false);
    Poco::Net::HTTPRequestHandlerFactory::Ptr handlers = new ProbeFactory(*stored);
    _connections = new AdminConnectionFactory(params, handlers, kRequestReadTimeout);
    _handlers = handlers;
    _server = std::make_unique<Poco::Net::TCPServer>(_connections, *_threads, socket, params);
    _server->start();
}

AdminHttpServer::~AdminHttpServer() {
    _connections->stopWaiting();
    _server->stop();
    static_cast<ProbeFactory&>(*_handlers).abortConnections(); // made as one in the constructor
    _threads->joinAll();
}

} // namespace msgbus::core
