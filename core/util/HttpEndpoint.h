#pragma once

#include "core/util/HttpClientOptions.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace msgbus::core {

/// An http:// or https:// URL checked once, that makes a client session per request: plain
/// HTTP, or TLS that verifies the server's certificate chain and host name (there is no way to
/// turn that off, only to name the CA file).
///
/// Immutable after construction; session() may be called from any thread, each session then
/// belongs to its caller. Every text it produces shows the URL as redactedUrl() does.
class HttpEndpoint {
public:
    /// Throws msgbus::InvalidArgument (with the URL redacted) when url is not http:// or
    /// https:// with a host, when it is http:// with user info for a host that is not a
    /// loopback address and !options.allowInsecureHttp, and when the CA file cannot be loaded.
    HttpEndpoint(const std::string& url, HttpClientOptions options);

    /// A new session to the host, with timeout for connecting, sending and receiving. Throws
    /// what Poco throws when it cannot be made.
    std::unique_ptr<Poco::Net::HTTPClientSession> session(std::chrono::milliseconds timeout) const;

    bool secure() const noexcept { return static_cast<bool>(_context); }
    const std::string& host() const noexcept { return _host; }
    std::uint16_t port() const noexcept { return _port; }
    /// The path, percent-decoded, without query and fragment ("" or "/" when none).
    const std::string& path() const noexcept { return _path; }
    /// Path, query and fragment as a request target: may hold secrets, never log it.
    const std::string& pathEtc() const noexcept { return _pathEtc; }
    /// The percent-decoded user info, split at its first ':'; empty when the URL has none.
    const std::string& user() const noexcept { return _user; }
    const std::string& password() const noexcept { return _password; }
    bool hasUserInfo() const noexcept { return _hasUserInfo; }
    /// The URL as given, redacted: for logs and errors.
    const std::string& redacted() const noexcept { return _redacted; }

private:
    void takeUserInfo(const std::string& url);
    void requireSafeCredentials(const HttpClientOptions& options) const;

    std::string _redacted;
    std::string _host;
    std::uint16_t _port = 0;
    std::string _path;
    std::string _pathEtc;
    std::string _user;
    std::string _password;
    bool _hasUserInfo = false;
    Poco::Net::Context::Ptr _context;
};

/// True for "localhost" and for literal loopback addresses (127.0.0.0/8, ::1); no name is
/// resolved.
bool isLoopbackHost(const std::string& host);

} // namespace msgbus::core
