#pragma once

#include <cstdint>
#include <string>

namespace msgbus::core::amqp {

/// A parsed `amqp://user:password@host:port/vhost` URL (RabbitMQ URI spec, plain TCP only).
///
/// Immutable value type; safe to copy and to share between threads. The password is kept only
/// to log in: redacted() and every exception text leave it out, so a URL can be logged as
/// redacted() and an error can be shown to an operator as is.
class AmqpUrl {
public:
    static constexpr std::uint16_t kDefaultPort = 5672;

    /// Parses url. Each of user, password and vhost is percent-decoded (`%2f` is "/"), so a
    /// vhost named "/" is written `%2f`. Defaults: user and password "guest" when the URL
    /// carries no user info (a password left out after a user also defaults to "guest", as in
    /// rabbitmq-c's amqp_parse_url), port 5672, vhost "/" when the path is empty or just "/"
    /// (the RabbitMQ spec reads "/" as the empty vhost name, which no broker ships and which
    /// users never mean). IPv6 hosts are written in brackets: `amqp://[::1]:5672`.
    ///
    /// The user info ends at the last '@' of the URL. A raw '/', '?' or '#' in the user info is
    /// refused (it would have ended the authority early): such a secret is percent-encoded, or
    /// given as amqp.user / amqp.password instead (withCredentials()).
    ///
    /// Throws msgbus::InvalidArgument naming the part that is wrong (scheme, host, port, user,
    /// vhost, percent-encoding, query) — never echoing any part of the user info (user or
    /// password), even when the URL is so malformed that it is unclear where the user info ends.
    static AmqpUrl parse(const std::string& url);

    /// Builds a URL from decoded parts (no parsing). Used by tests and configuration code.
    AmqpUrl(std::string host, std::uint16_t port, std::string vhost, std::string user,
            std::string password);

    const std::string& host() const noexcept { return _host; }
    std::uint16_t port() const noexcept { return _port; }
    const std::string& vhost() const noexcept { return _vhost; }
    const std::string& user() const noexcept { return _user; }
    /// The decoded password. Never log it; log redacted() instead.
    const std::string& password() const noexcept { return _password; }

    /// A copy with user and password replaced (taken as is: no percent-decoding).
    AmqpUrl withCredentials(std::string user, std::string password) const;

    /// `amqp://user:***@host:port/vhost` (vhost percent-encoded): safe for logs and errors.
    std::string redacted() const;

    /// The complete URL, user and password included and percent-encoded, so that
    /// parse(text()) gives this URL back whatever characters they hold. Carries the secret:
    /// never log it.
    std::string text() const;

    /// `host:port` (IPv6 in brackets): the context string every AmqpError carries.
    std::string endpoint() const;

private:
    std::string _host;
    std::uint16_t _port;
    std::string _vhost;
    std::string _user;
    std::string _password;
};

} // namespace msgbus::core::amqp
