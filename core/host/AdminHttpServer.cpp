#include "core/host/AdminHttpServer.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
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
            if (_path == "/metrics") {
                body = _probes.metrics();
                type = "text/plain; version=0.0.4; charset=utf-8";
            } else if (_path == "/health") {
                body = _probes.health();
                type = "application/json";
            } else if (_path == "/ready") {
                std::string reason;
                bool ready = _probes.ready(reason);
                status = ready ? HTTPResponse::HTTP_OK : HTTPResponse::HTTP_SERVICE_UNAVAILABLE;
                body = ready ? (reason.empty() ? "ready\n" : "ready: " + reason + "\n")
                             : "not ready: " + reason + "\n";
            } else {
                status = HTTPResponse::HTTP_NOT_FOUND;
                body = "not found; try /metrics, /health or /ready\n";
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
        std::string path = request.getURI();
        if (auto q = path.find('?'); q != std::string::npos)
            path.resize(q);
        return new ProbeHandler(_probes, path);
    }

private:
    const AdminHttpServer::Probes& _probes;
};

} // namespace

AdminHttpServer::AdminHttpServer(int port, Probes probes)
    : _threads(std::make_unique<Poco::ThreadPool>(1, 2)), _port(port) {
    // The probes live in the factory's reference; keep them in a member of the factory's owner.
    auto* stored = new Probes(std::move(probes));
    _probesHolder.reset(stored);
    Poco::Net::ServerSocket socket(
        Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
    _port = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(2);
    params->setKeepAlive(false);
    _server = std::make_unique<Poco::Net::HTTPServer>(new ProbeFactory(*stored), *_threads, socket,
                                                      params);
    _server->start();
}

AdminHttpServer::~AdminHttpServer() {
    _server->stopAll(true);
    _threads->joinAll();
}

} // namespace msgbus::core
