#include "ConventionRouting.h"

#include <msgbus/Configurable.h>
#include <msgbus/Error.h>
#include <msgbus/MessageName.h>
#include <msgbus/internal/PrintableText.h>

#include <Poco/Util/AbstractConfiguration.h>

#include <string_view>

namespace msgbus::plugins {
namespace {

constexpr std::string_view keyExchange = "exchange";
constexpr std::string_view routePrefix = "route.";
constexpr std::string_view suffixExchange = ".exchange";
constexpr std::string_view suffixRoutingKey = ".routing_key";
constexpr std::size_t maxShortString = 255; // AMQP shortstr: exchange names and routing keys

// RabbitMQ refuses other exchange names with a channel error at declare or publish time;
// refusing them here makes it a start-up error that names the key.
std::string checkedExchange(const std::string& key, const std::string& value) {
    if (value.empty())
        throw InvalidArgument(key + ": empty; name an exchange or remove the key");
    if (value.size() > maxShortString)
        throw InvalidArgument(key + ": exchange name longer than 255 characters");
    for (char c : value) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == ':';
        if (!ok)
            throw InvalidArgument(key + ": '" + value +
                                  "' is not a valid exchange name (letters, digits, '-', '_', "
                                  "'.', ':')");
    }
    return value;
}

std::string checkedRoutingKey(const std::string& key, const std::string& value) {
    if (value.empty())
        throw InvalidArgument(key + ": empty; give a routing key or remove the key");
    if (value.size() > maxShortString)
        throw InvalidArgument(key + ": routing key longer than 255 bytes");
    return value;
}

} // namespace

ConventionRouting::ConventionRouting() = default;
ConventionRouting::~ConventionRouting() = default;

void ConventionRouting::configure(const Poco::Util::AbstractConfiguration& config) {
    std::optional<std::string> exchange;
    std::map<std::string, Override, std::less<>> overrides;

    // Message names contain dots, so an override's name spans several levels of the key tree
    // and only the full keys tell where it ends.
    for (const auto& key : configuredKeys(config)) {
        const std::string value = config.getString(key);
        if (key == keyExchange) {
            exchange = checkedExchange(key, value);
            continue;
        }
        if (!key.starts_with(routePrefix))
            throw InvalidArgument(key + ": unknown key (known: exchange, "
                                        "route.<name>.exchange, route.<name>.routing_key)");
        std::string_view rest = std::string_view(key).substr(routePrefix.size());
        bool isExchange = rest.ends_with(suffixExchange);
        bool isRoutingKey = rest.ends_with(suffixRoutingKey);
        if (!isExchange && !isRoutingKey)
            throw InvalidArgument(key + ": unknown key; an override is route.<name>.exchange or "
                                        "route.<name>.routing_key");
        std::string_view name =
            rest.substr(0, rest.size() - (isExchange ? suffixExchange : suffixRoutingKey).size());
        if (!isValidMessageName(name))
            throw InvalidArgument(key + ": '" + std::string(name) +
                                  "' is not a valid message name (two or more dot-separated "
                                  "lowercase segments like 'order.placed')");
        Override& entry = overrides[std::string(name)];
        if (isExchange)
            entry.exchange = checkedExchange(key, value);
        else
            entry.routingKey = checkedRoutingKey(key, value);
    }

    // Assigned only once everything is valid: a refused configuration changes nothing.
    _exchange = std::move(exchange);
    _overrides = std::move(overrides);
}

Route ConventionRouting::route(const Message& message) const {
    const std::string& name = message.name();
    if (!isValidMessageName(name)) {
        try {
            validateMessageName(name);
        } catch (const InvalidArgument& e) {
            throw MalformedMessage("message name", printableText(e.what()));
        }
    }
    Route route;
    route.routingKey = name;
    if (_exchange) {
        route.exchange = *_exchange;
    } else {
        // A valid name has at least two segments; the exchange is everything before the second
        // dot, or the whole name when there is none.
        auto firstDot = name.find('.');
        auto secondDot = name.find('.', firstDot + 1);
        route.exchange = name.substr(0, secondDot);
    }
    if (auto it = _overrides.find(name); it != _overrides.end()) {
        if (it->second.exchange)
            route.exchange = *it->second.exchange;
        if (it->second.routingKey)
            route.routingKey = *it->second.routingKey;
    }
    return route;
}

} // namespace msgbus::plugins
