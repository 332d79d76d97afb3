#pragma once

#include <string>
#include <vector>

namespace msgbus::core {

class ConfigReader;

/// One console.users entry: a name and the SHA-256 (hex) of its password.
struct ConsoleUser {
    std::string name;
    std::string passwordSha256; ///< 64 lower-case hex digits
    bool operator==(const ConsoleUser&) const = default;
};

/// Where the console listens, split: "127.0.0.1:8089", "[::1]:8089", "0.0.0.0:8089".
struct ListenAddress {
    std::string host;
    int port = 0;
    /// True for 127.0.0.0/8, ::1 and localhost: only this machine can connect.
    bool loopback() const;
    /// Parses host:port; throws ConfigError naming key.
    static ListenAddress parse(const std::string& text, const std::string& key);
    bool operator==(const ListenAddress&) const = default;
};

/// The console.* keys: the operator console (`msgbus console`, or a host's admin port with
/// console.enabled). Values may be secrets (token, users): never log them.
struct ConsoleSettings {
    /// Out of line: GCC 12 inlining the defaults into every Settings{} reports false
    /// -Wmaybe-uninitialized in its string members.
    ConsoleSettings();

    /// console.enabled: a host serves the console on its admin port (http.port) as well.
    bool enabled = false;
    /// console.listen: where `msgbus console` listens (its --listen overrides it).
    ListenAddress listen{"127.0.0.1", 8089};
    /// console.token, or the environment's MSGBUS_CONSOLE_TOKEN, which wins: the bearer token
    /// every request needs when the console listens beyond loopback. "" = none.
    std::string token;
    /// console.users: "name:<sha256 hex of the password>, ...", for HTTP Basic.
    std::vector<ConsoleUser> users;
    /// console.read_only: every action is refused (people who may look but not act).
    bool readOnly = false;
    /// console.max_action_rows: the most rows one action may change.
    int maxActionRows = 10000;
    /// console.masked_headers: headers whose value is shown as "***" (a name containing one of
    /// these, case-insensitive).
    std::vector<std::string> maskedHeaders{"authorization", "cookie", "x-api-key",
                                           "password",      "token",  "secret"};
    /// console.trace_url: a tracing UI's link with {trace_id} in it; "" = no link.
    std::string traceUrl;

    /// True when requests must authenticate: listening beyond loopback.
    bool authRequired(const ListenAddress& at) const { return !at.loopback(); }
    /// Throws ConfigError (naming console.listen, or what overrode it) when at is beyond
    /// loopback and neither a token nor users are configured: such a console would let anyone
    /// on the network retry and remove messages.
    void requireAuthFor(const ListenAddress& at, const std::string& key) const;

    bool operator==(const ConsoleSettings&) const = default;
};

/// Reads console.* (and MSGBUS_CONSOLE_TOKEN).
ConsoleSettings loadConsoleSettings(ConfigReader& read);

} // namespace msgbus::core
