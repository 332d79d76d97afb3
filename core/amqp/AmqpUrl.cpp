#include "core/amqp/AmqpUrl.h"

#include "core/util/RedactedUrl.h"

#include <msgbus/Error.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

namespace msgbus::core::amqp {

namespace {

const std::string kScheme = "amqp://";

// The byte that the two hex digits at text[at] spell; nothing unless both are hex digits.
std::optional<char> hexByte(const std::string& text, std::size_t at) {
    auto isHex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
    if (at + 2 > text.size() || !isHex(text[at]) || !isHex(text[at + 1]))
        return std::nullopt;
    unsigned value = 0;
    std::from_chars(text.data() + at, text.data() + at + 2, value, 16);
    return static_cast<char>(value);
}

// what names the component; showValue is false for the password so that no error text ever
// carries it (not even a malformed fragment of it).
std::string percentDecode(const std::string& text, const char* what, bool showValue) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        const auto byte = hexByte(text, i + 1);
        if (!byte) {
            std::string msg = std::string("invalid AMQP URL: bad percent-encoding in the ") + what;
            if (showValue)
                msg += " '" + text + "'";
            throw InvalidArgument(msg + " (expected %XX with two hex digits)");
        }
        out += *byte;
        i += 2;
    }
    // rabbitmq-c takes NUL-terminated strings: an embedded NUL would silently cut the value.
    if (out.find('\0') != std::string::npos)
        throw InvalidArgument(std::string("invalid AMQP URL: the ") + what +
                              " contains a NUL byte (%00)");
    return out;
}

std::string percentEncode(const std::string& text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 0xf];
        }
    }
    return out;
}

/// Refuses anything but amqp://, naming the scheme only when the text before "://" is one.
void requireAmqpScheme(const std::string& url) {
    if (url.compare(0, kScheme.size(), kScheme) != 0) {
        // Quote the scheme only when it is one: text before a ':' may as well be "user:password".
        std::size_t sep = url.find("://");
        std::string scheme = sep == std::string::npos ? "" : url.substr(0, sep);
        bool isScheme = !scheme.empty() && std::all_of(scheme.begin(), scheme.end(), [](char c) {
            return std::isalpha(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
        });
        if (scheme == "amqps")
            throw InvalidArgument("invalid AMQP URL: amqps (TLS) is not supported, use amqp://");
        throw InvalidArgument("invalid AMQP URL: it must start with amqp://" +
                              (isScheme ? " (got scheme '" + scheme + "')" : std::string()));
    }
}

/// Takes the user info off rest (up to the last '@') into user and password; returns whether
/// there was any. Never quotes any part of it in an error.
bool takeUserInfo(std::string& rest, std::string& user, std::string& password) {
    // The user info ends at the last '@' (a raw '@' in a password is then still accepted); it
    // never appears in an error text, not even in part. A raw '/', '?' or '#' before that '@'
    // would have ended the authority early, so the split is ambiguous: refuse it without
    // guessing (guessing wrong is how a password ends up quoted as a "port").
    std::size_t at = rest.rfind('@');
    if (at != std::string::npos) {
        std::string userInfo = rest.substr(0, at);
        if (userInfo.find_first_of("/?#") != std::string::npos)
            throw InvalidArgument(
                "invalid AMQP URL: the user or password contains a character that must be "
                "percent-encoded ('/' as %2F, '?' as %3F, '#' as %23, '@' as %40, ':' in the "
                "user as %3A), or the vhost contains a raw '@'; or leave the credentials out of "
                "the URL and set amqp.user and amqp.password, which take any text as is");
        rest = rest.substr(at + 1);
        std::size_t colon = userInfo.find(':');
        user = percentDecode(userInfo.substr(0, colon), "user", false);
        if (colon != std::string::npos)
            password = percentDecode(userInfo.substr(colon + 1), "password", false);
        if (user.empty())
            throw InvalidArgument("invalid AMQP URL: the user name is empty");
    }
    return at != std::string::npos;
}

/// "host", "host:port", "[v6]" or "[v6]:port" into host and port text.
void splitHostPort(const std::string& hostPort, std::string& host, std::string& portText) {
    if (!hostPort.empty() && hostPort.front() == '[') {
        std::size_t close = hostPort.find(']');
        if (close == std::string::npos)
            throw InvalidArgument("invalid AMQP URL: unterminated IPv6 host '" + hostPort + "'");
        host = hostPort.substr(1, close - 1);
        std::string after = hostPort.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                throw InvalidArgument("invalid AMQP URL: unexpected '" + after +
                                      "' after the IPv6 host");
            portText = after.substr(1);
            if (portText.empty())
                throw InvalidArgument("invalid AMQP URL: empty port after ':'");
        }
    } else {
        std::size_t colon = hostPort.find(':');
        host = hostPort.substr(0, colon);
        if (colon != std::string::npos) {
            portText = hostPort.substr(colon + 1);
            if (portText.empty())
                throw InvalidArgument("invalid AMQP URL: empty port after ':'");
        }
    }
}

/// The port number (kDefaultPort for ""). The text is never quoted: when the URL is not what it
/// seems (an unencoded credential), it could be part of a password.
std::uint16_t portOf(const std::string& portText) {
    if (portText.empty())
        return AmqpUrl::kDefaultPort;
    unsigned long value = 0;
    for (char c : portText) {
        // Text that is not a number is not quoted: when the URL is not what it seems (an
        // unencoded credential), it could be part of a password.
        if (!std::isdigit(static_cast<unsigned char>(c)))
            throw InvalidArgument("invalid AMQP URL: the port is not a number between 1 and "
                                  "65535 (check that the user info is percent-encoded)");
        if (value <= 65535)
            value = value * 10 + static_cast<unsigned long>(c - '0');
    }
    // Not quoted either: "amqp://user:123secret" (no '@') puts a password here.
    if (value < 1 || value > 65535)
        throw InvalidArgument("invalid AMQP URL: the port is not a number between 1 and "
                              "65535 (check that the user info is percent-encoded)");
    return static_cast<std::uint16_t>(value);
}

} // namespace

AmqpUrl::AmqpUrl(std::string host, std::uint16_t port, std::string vhost, std::string user,
                 std::string password)
    : _host(std::move(host)), _port(port), _vhost(std::move(vhost)), _user(std::move(user)),
      _password(std::move(password)) {}

AmqpUrl AmqpUrl::parse(const std::string& url) {
    requireAmqpScheme(url);
    std::string rest = url.substr(kScheme.size());
    std::string user = "guest";
    std::string password = "guest";
    const bool hadUserInfo = takeUserInfo(rest, user, password);
    if (rest.find_first_of("?#") != std::string::npos)
        throw InvalidArgument("invalid AMQP URL: query parameters and fragments are not "
                              "supported (set heartbeat and timeouts in the configuration)");

    std::string hostPort = rest.substr(0, rest.find('/'));
    std::string path = rest.size() > hostPort.size() ? rest.substr(hostPort.size() + 1) : "";
    std::string host;
    std::string portText;
    splitHostPort(hostPort, host, portText);
    if (host.empty())
        throw InvalidArgument("invalid AMQP URL: the host is empty");
    host = percentDecode(host, "host", hadUserInfo);
    const std::uint16_t port = portOf(portText);

    // Neither the vhost nor the host is quoted when the URL has no user info: then the text
    // after "amqp://" may be a user and password that lost their '@'.
    const bool mayHoldSecrets = !hadUserInfo;
    if (path.find('/') != std::string::npos)
        throw InvalidArgument(
            "invalid AMQP URL: the vhost" + (mayHoldSecrets ? std::string() : " '" + path + "'") +
            " contains a raw '/'; percent-encode it as %2f (and check that the user info is "
            "percent-encoded)");
    std::string vhost = path.empty() ? "/" : percentDecode(path, "vhost", !mayHoldSecrets);
    return AmqpUrl(std::move(host), port, std::move(vhost), std::move(user), std::move(password));
}

AmqpUrl AmqpUrl::withCredentials(std::string user, std::string password) const {
    return AmqpUrl(_host, _port, _vhost, std::move(user), std::move(password));
}

std::string AmqpUrl::text() const {
    bool ipv6 = _host.find(':') != std::string::npos;
    std::string host = ipv6 ? "[" + _host + "]" : percentEncode(_host);
    return kScheme + percentEncode(_user) + ":" + percentEncode(_password) + "@" + host + ":" +
           std::to_string(_port) + "/" + percentEncode(_vhost);
}

std::string AmqpUrl::redacted() const {
    return redactedUrl(text());
}

std::string AmqpUrl::endpoint() const {
    bool ipv6 = _host.find(':') != std::string::npos;
    return (ipv6 ? "[" + _host + "]" : _host) + ":" + std::to_string(_port);
}

} // namespace msgbus::core::amqp
