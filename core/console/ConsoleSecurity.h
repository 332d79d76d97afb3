#pragma once

#include "core/config/ConsoleSettings.h"

#include <Poco/Net/HTTPServerRequest.h>

#include <string>

namespace msgbus::core::console {

/// Who may use the console and how (nothing of it is ever logged or answered back):
/// - listening on loopback, no authentication; but the request's Host must be a loopback name
///   (a page on another site cannot reach the console by pointing its own name at 127.0.0.1,
///   "DNS rebinding");
/// - beyond loopback, every request carries `Authorization: Bearer <console.token>` or HTTP
///   Basic credentials of a console.users entry, else 401;
/// - a mutating request (POST) carries X-CSRF-Token (csrfFor(user), which GET /api/session
///   hands out; a page of another origin cannot read it) and, when the browser sends Origin,
///   comes from the console's own origin, else 403; console.read_only refuses it first.
/// Tokens and hashes are compared in constant time. Thread-safe (immutable after construction).
class ConsoleSecurity {
public:
    struct Verdict {
        int status = 0;    ///< 0: allowed; else the HTTP status to answer
        std::string error; ///< why, for the answer
        std::string user;  ///< who, when allowed ("" without authentication)
    };

    /// authRequired: the console listens beyond loopback.
    ConsoleSecurity(const ConsoleSettings& settings, bool authRequired);

    Verdict authenticate(const Poco::Net::HTTPServerRequest& request) const;
    /// For a POST by user (authenticate's answer).
    Verdict checkMutation(const Poco::Net::HTTPServerRequest& request,
                          const std::string& user) const;

    /// The CSRF token of user: an HMAC of the name under a secret drawn when the console
    /// started (a restart makes pages fetch a new one).
    std::string csrfFor(const std::string& user) const;

    bool authRequired() const noexcept { return _authRequired; }
    bool readOnly() const noexcept { return _settings.readOnly; }

private:
    std::string basicUser(const std::string& credentials) const;

    ConsoleSettings _settings;
    bool _authRequired;
    std::string _secret;
};

/// Equal, in time that does not depend on where a and b differ.
bool constantTimeEqual(const std::string& a, const std::string& b);
/// The SHA-256 of text, 64 lower-case hex digits.
std::string sha256Hex(const std::string& text);

} // namespace msgbus::core::console
