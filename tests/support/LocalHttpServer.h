#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServer.h>

#include <memory>
#include <mutex>
#include <string>

namespace msgbus::test {

/// A self-signed certificate with its key, made by the openssl command in a fresh temporary
/// directory; the certificate is also the CA file a client trusts. By default for 127.0.0.1
/// and localhost; else for host alone.
struct SelfSignedCertificate {
    SelfSignedCertificate();
    explicit SelfSignedCertificate(const std::string& host);
    std::string certFile;
    std::string keyFile;
};

/// An HTTP or HTTPS server on 127.0.0.1 and a port of its own that answers every GET with a
/// management API queue (1 ready, 0 unacked, 0 consumers) and every POST with 200 "{}", and
/// remembers the last request's target and Basic credentials. Stands in for the RabbitMQ
/// management API and an OTLP collector. Stops in the destructor. Thread-safe.
class LocalHttpServer {
public:
    /// Plain HTTP.
    LocalHttpServer();
    /// HTTPS with that certificate.
    explicit LocalHttpServer(const SelfSignedCertificate& certificate);
    ~LocalHttpServer();

    int port() const { return _port; }
    int requests() const;
    std::string lastTarget() const;
    std::string lastUser() const;
    std::string lastPassword() const;

    /// Called by the server's threads.
    void record(const std::string& target, const std::string& user, const std::string& password);

private:
    void start(Poco::Net::ServerSocket socket);

    mutable std::mutex _mutex;
    int _requests = 0;
    std::string _target, _user, _password;
    int _port = 0;
    std::unique_ptr<Poco::Net::HTTPServer> _server;
};

} // namespace msgbus::test
