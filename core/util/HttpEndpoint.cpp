#include "core/util/HttpEndpoint.h"

#include "core/util/RedactedUrl.h"

#include <msgbus/Error.h>

#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/URI.h>

#include <mutex>

namespace msgbus::core {
namespace {

/// TLS 1.2 and newer, the server's chain checked against caFile or the system store, and its
/// host name against the certificate after the handshake. VERIFY_STRICT, not RELAXED: with
/// RELAXED, Poco skips the host name check for a loopback host (a tunnel's local end included).
Poco::Net::Context::Ptr clientContext(const std::string& caFile) {
    static std::once_flag initialized;
    // OpenSSL's global state, once per process; never undone, as sessions may live until exit.
    std::call_once(initialized, [] { Poco::Net::initializeSSL(); });
    Poco::Net::Context::Params params;
    params.caLocation = caFile;
    params.loadDefaultCAs = caFile.empty();
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    Poco::Net::Context::Ptr context(
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params));
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    return context;
}

} // namespace

bool isLoopbackHost(const std::string& host) {
    Poco::Net::IPAddress address;
    return host == "localhost" ||
           (Poco::Net::IPAddress::tryParse(host, address) && address.isLoopback());
}

HttpEndpoint::HttpEndpoint(const std::string& url, HttpClientOptions options)
    : _redacted(redactedUrl(url)) {
    Poco::URI uri;
    try {
        uri = Poco::URI(url);
    } catch (const Poco::Exception&) {
        // Poco's text quotes the part it could not read, which may be a password.
        throw InvalidArgument("'" + _redacted + "' is not a URL");
    }
    const std::string scheme = uri.getScheme();
    if ((scheme != "http" && scheme != "https") || uri.getHost().empty())
        throw InvalidArgument("'" + _redacted + "' is not an http:// or https:// URL with a host");
    _host = uri.getHost();
    _port = uri.getPort();
    _path = uri.getPath();
    _pathEtc = uri.getPathEtc();
    takeUserInfo(url);
    if (scheme == "http") {
        requireSafeCredentials(options);
        return;
    }
    try {
        _context = clientContext(options.caFile);
    } catch (const Poco::Exception& e) {
        throw InvalidArgument("'" + _redacted + "': cannot load the CA file '" + options.caFile +
                              "': " + e.displayText());
    }
}

void HttpEndpoint::takeUserInfo(const std::string& url) {
    // Poco's URI keeps the user info as one decoded string, where an encoded ':' in the user
    // could not be told from the separator: split the raw text, then decode each part.
    const auto start = url.find("://") + 3;
    const auto end = url.find_first_of("/?#", start);
    const auto authority = url.substr(start, end == std::string::npos ? end : end - start);
    const auto at = authority.rfind('@');
    if (at == std::string::npos)
        return;
    _hasUserInfo = true;
    const auto info = authority.substr(0, at);
    const auto colon = info.find(':');
    Poco::URI::decode(info.substr(0, colon), _user);
    if (colon != std::string::npos)
        Poco::URI::decode(info.substr(colon + 1), _password);
}

void HttpEndpoint::requireSafeCredentials(const HttpClientOptions& options) const {
    if (!_hasUserInfo || options.allowInsecureHttp || isLoopbackHost(_host))
        return;
    throw InvalidArgument(
        "'" + _redacted + "': http:// would send the credentials of its user info in the clear " +
        "to " + _host + ", which is not a loopback address; use https://" +
        (options.allowInsecureKey.empty() ? std::string()
                                          : " (or set " + options.allowInsecureKey + " = true)"));
}

std::unique_ptr<Poco::Net::HTTPClientSession>
HttpEndpoint::session(std::chrono::milliseconds timeout) const {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (_context)
        session = std::make_unique<Poco::Net::HTTPSClientSession>(_host, _port, _context);
    else
        session = std::make_unique<Poco::Net::HTTPClientSession>(_host, _port);
    session->setTimeout(
        Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(timeout).count()));
    return session;
}

} // namespace msgbus::core
