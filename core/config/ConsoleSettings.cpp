#include "core/config/ConsoleSettings.h"

#include "core/config/ConfigError.h"
#include "core/config/ConfigReader.h"

#include <Poco/NumberParser.h>
#include <Poco/String.h>

#include <cstdlib>

namespace msgbus::core {
namespace {

// A bearer token is the only thing between the network and the actions: long enough that it
// cannot be guessed.
constexpr std::size_t kMinTokenLength = 16;

bool isLowerHex(const std::string& text) {
    return text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::vector<ConsoleUser> users(ConfigReader& read) {
    const std::string key = "console.users";
    std::vector<ConsoleUser> out;
    for (const auto& entry : read.list(key)) {
        const auto colon = entry.find(':');
        ConsoleUser user;
        user.name = entry.substr(0, colon);
        user.passwordSha256 =
            colon == std::string::npos ? "" : Poco::toLower(entry.substr(colon + 1));
        // The entry is never quoted: it may be a password written where its hash belongs.
        if (user.name.empty() || colon == std::string::npos)
            throw ConfigError(key, "an entry is not name:<sha256 hex of the password>");
        if (user.passwordSha256.size() != 64 || !isLowerHex(user.passwordSha256))
            throw ConfigError(key, "the entry of user '" + user.name +
                                       "' does not end in the 64 hex digits of a SHA-256 (e.g. "
                                       "printf %s 'password' | sha256sum)");
        out.push_back(user);
    }
    return out;
}

} // namespace

ConsoleSettings::ConsoleSettings() = default;

bool ListenAddress::loopback() const {
    return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

ListenAddress ListenAddress::parse(const std::string& text, const std::string& key) {
    ListenAddress at;
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0)
        throw ConfigError(key, "'" + text + "' is not host:port (e.g. 127.0.0.1:8089)");
    at.host = text.substr(0, colon);
    if (at.host.size() > 2 && at.host.front() == '[' && at.host.back() == ']')
        at.host = at.host.substr(1, at.host.size() - 2);
    int port = 0;
    if (!Poco::NumberParser::tryParse(text.substr(colon + 1), port) || port < 0 || port > 65535)
        throw ConfigError(key, "'" + text + "' has no port in [0, 65535] after the last ':'");
    at.port = port;
    return at;
}

void ConsoleSettings::requireAuthFor(const ListenAddress& at, const std::string& key) const {
    if (authRequired(at) && token.empty() && users.empty())
        throw ConfigError(key, at.host + " is not a loopback address: set console.token (or "
                                         "MSGBUS_CONSOLE_TOKEN) or console.users, so that only "
                                         "operators can use the console");
}

ConsoleSettings loadConsoleSettings(ConfigReader& read) {
    ConsoleSettings c;
    c.enabled = read.boolean("console.enabled", c.enabled);
    if (read.has("console.listen"))
        c.listen = ListenAddress::parse(read.string("console.listen", ""), "console.listen");
    if (const char* env = std::getenv("MSGBUS_CONSOLE_TOKEN"); env && *env)
        c.token = env;
    else
        c.token = read.secret("console.token").value_or("");
    if (!c.token.empty() && c.token.size() < kMinTokenLength)
        throw ConfigError("console.token", "is shorter than " + std::to_string(kMinTokenLength) +
                                               " characters: it could be guessed");
    c.users = users(read);
    c.readOnly = read.boolean("console.read_only", c.readOnly);
    c.maxActionRows = read.integer32("console.max_action_rows", c.maxActionRows, 1, 1000000);
    if (read.has("console.masked_headers")) {
        c.maskedHeaders.clear();
        for (const auto& name : read.list("console.masked_headers"))
            c.maskedHeaders.push_back(Poco::toLower(name));
    }
    c.traceUrl = read.string("console.trace_url", c.traceUrl);
    if (!c.traceUrl.empty() &&
        (c.traceUrl.find("{trace_id}") == std::string::npos ||
         (c.traceUrl.rfind("http://", 0) != 0 && c.traceUrl.rfind("https://", 0) != 0)))
        throw ConfigError("console.trace_url",
                          "expected an http(s) URL with {trace_id} where the trace id goes");
    c.requireAuthFor(c.listen, "console.listen");
    return c;
}

} // namespace msgbus::core
