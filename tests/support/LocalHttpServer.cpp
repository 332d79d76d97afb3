#include "support/LocalHttpServer.h"

#include "support/TestEnv.h"

#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/StreamCopier.h>

namespace msgbus::test {
namespace {

class Handler : public Poco::Net::HTTPRequestHandler {
public:
    explicit Handler(LocalHttpServer& server) : _server(server) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        std::string body;
        Poco::StreamCopier::copyToString(request.stream(), body);
        std::string user, password;
        if (request.hasCredentials()) {
            Poco::Net::HTTPBasicCredentials credentials(request);
            user = credentials.getUsername();
            password = credentials.getPassword();
        }
        _server.record(request.getURI(), user, password);
        response.setContentType("application/json");
        response.send()
            << (request.getMethod() == "GET"
                    ? R"({"messages_ready":1,"messages_unacknowledged":0,"consumers":0})"
                    : "{}");
    }

private:
    LocalHttpServer& _server;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Factory(LocalHttpServer& server) : _server(server) {}
    Poco::Net::HTTPRequestHandler*
    createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new Handler(_server);
    }

private:
    LocalHttpServer& _server;
};

} // namespace

SelfSignedCertificate::SelfSignedCertificate() : SelfSignedCertificate("127.0.0.1") {}

SelfSignedCertificate::SelfSignedCertificate(const std::string& host) {
    const std::string dir = tempDir("tls");
    certFile = dir + "/cert.pem";
    keyFile = dir + "/key.pem";
    const std::string names = host == "127.0.0.1" ? "IP:127.0.0.1,DNS:localhost" : "DNS:" + host;
    runChecked("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" + host +
               " -addext subjectAltName=" + names + " -keyout " + keyFile + " -out " + certFile +
               " 2>&1");
}

LocalHttpServer::LocalHttpServer() {
    start(Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0)));
}

LocalHttpServer::LocalHttpServer(const SelfSignedCertificate& certificate) {
    Poco::Net::initializeSSL();
    Poco::Net::Context::Ptr context(
        new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, certificate.keyFile,
                               certificate.certFile, "", Poco::Net::Context::VERIFY_NONE));
    start(Poco::Net::SecureServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0), 64, context));
}

void LocalHttpServer::start(Poco::Net::ServerSocket socket) {
    _port = socket.address().port();
    _server = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket,
                                                      new Poco::Net::HTTPServerParams);
    _server->start();
}

LocalHttpServer::~LocalHttpServer() {
    _server->stopAll(true);
}

void LocalHttpServer::record(const std::string& target, const std::string& user,
                             const std::string& password) {
    std::lock_guard lock(_mutex);
    ++_requests;
    _target = target;
    _user = user;
    _password = password;
}

int LocalHttpServer::requests() const {
    std::lock_guard lock(_mutex);
    return _requests;
}

std::string LocalHttpServer::lastTarget() const {
    std::lock_guard lock(_mutex);
    return _target;
}

std::string LocalHttpServer::lastUser() const {
    std::lock_guard lock(_mutex);
    return _user;
}

std::string LocalHttpServer::lastPassword() const {
    std::lock_guard lock(_mutex);
    return _password;
}

} // namespace msgbus::test
