#include "core/console/ConsoleSecurity.h"

#include "core/util/Base64.h"

#include <Poco/DigestEngine.h>
#include <Poco/HMACEngine.h>
#include <Poco/Net/NetException.h>
#include <Poco/RandomStream.h>
#include <Poco/SHA2Engine.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <istream>

namespace msgbus::core::console {
namespace {

class Sha256 : public Poco::SHA2Engine {
public:
    enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
    Sha256() : Poco::SHA2Engine(SHA_256) {}
};

/// The host part of a Host header or an origin's authority ("[::1]:8089" → "::1").
std::string hostPart(std::string authority) {
    if (!authority.empty() && authority.front() == '[') {
        const auto end = authority.find(']');
        return end == std::string::npos ? authority : authority.substr(1, end - 1);
    }
    return Poco::toLower(authority.substr(0, authority.find(':')));
}

bool loopbackName(const std::string& host) {
    return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

} // namespace

bool constantTimeEqual(const std::string& a, const std::string& b) {
    // Over the digests: the loop then runs over the same 64 digits whatever the inputs.
    const std::string x = sha256Hex(a), y = sha256Hex(b);
    unsigned char diff = 0;
    for (std::size_t i = 0; i < x.size(); ++i)
        diff |= static_cast<unsigned char>(x[i] ^ y[i]);
    return diff == 0;
}

std::string sha256Hex(const std::string& text) {
    Sha256 sha;
    sha.update(text);
    return Poco::DigestEngine::digestToHex(sha.digest());
}

ConsoleSecurity::ConsoleSecurity(const ConsoleSettings& settings, bool authRequired)
    : _settings(settings), _authRequired(authRequired) {
    char random[32];
    Poco::RandomInputStream().read(random, sizeof random);
    _secret.assign(random, sizeof random);
}

std::string ConsoleSecurity::csrfFor(const std::string& user) const {
    Poco::HMACEngine<Sha256> hmac(_secret);
    hmac.update("msgbus-console-csrf:" + user);
    return Poco::DigestEngine::digestToHex(hmac.digest());
}

std::string ConsoleSecurity::basicUser(const std::string& credentials) const {
    const auto decoded = base64Decode(credentials, Base64Padding::Padded);
    if (!decoded)
        return "";
    const auto colon = decoded->find(':');
    if (colon == std::string::npos)
        return "";
    const std::string name = decoded->substr(0, colon);
    const std::string hash = sha256Hex(decoded->substr(colon + 1));
    bool match = false;
    for (const auto& user : _settings.users)
        match =
            (constantTimeEqual(user.name, name) && constantTimeEqual(user.passwordSha256, hash)) ||
            match;
    return match ? name : "";
}

ConsoleSecurity::Verdict
ConsoleSecurity::authenticate(const Poco::Net::HTTPServerRequest& request) const {
    if (!_authRequired) {
        if (!loopbackName(hostPart(request.getHost())))
            return {403,
                    "the console answers requests to a loopback name only "
                    "(localhost, 127.0.0.1, [::1])",
                    ""};
        return {};
    }
    const std::string authorization = request.get("Authorization", "");
    const auto space = authorization.find(' ');
    const std::string scheme = Poco::toLower(authorization.substr(0, space));
    const std::string value = space == std::string::npos ? "" : authorization.substr(space + 1);
    if (scheme == "bearer" && !_settings.token.empty() && constantTimeEqual(value, _settings.token))
        return {0, "", "token"};
    if (scheme == "basic")
        if (std::string user = basicUser(Poco::trim(value)); !user.empty())
            return {0, "", user};
    return {401, "authentication required: a bearer token (console.token) or a console user", ""};
}

ConsoleSecurity::Verdict ConsoleSecurity::checkMutation(const Poco::Net::HTTPServerRequest& request,
                                                        const std::string& user) const {
    if (_settings.readOnly)
        return {403, "the console is read-only", user};
    if (!constantTimeEqual(request.get("X-CSRF-Token", ""), csrfFor(user)))
        return {403, "missing or wrong X-CSRF-Token (GET /api/session gives it)", user};
    if (request.has("Origin")) {
        const std::string origin = request.get("Origin");
        // The same origin as the page: scheme://<the Host this request was sent to>.
        const auto scheme = origin.find("://");
        if (scheme == std::string::npos ||
            Poco::toLower(origin.substr(scheme + 3)) != Poco::toLower(request.getHost()))
            return {403, "cross-origin request refused (Origin " + origin + ")", user};
    }
    return {0, "", user};
}

} // namespace msgbus::core::console
