#pragma once

#include <msgbus/RoutingStrategy.h>

#include <map>
#include <optional>
#include <string>

namespace msgbus::plugins {

/// The default routing strategy (plugin `routing`).
///
/// The routing key is the full message name. The exchange is the configured `exchange` when set
/// (one topic exchange, the recommended setup), otherwise the name's first two segments, the
/// convention of the PHP original: `billing.invoice.paid` goes to exchange `billing.invoice`,
/// `order.placed` to `order.placed`. Per-name overrides replace either part for one name.
/// No extra headers are added.
///
/// Configuration (the plugin's view, keys without the `plugin.<id>.config.` prefix):
/// - `exchange`: the one exchange for every message.
/// - `route.<name>.exchange`, `route.<name>.routing_key`: overrides for the message `<name>`.
/// configure() reads every override at once and throws InvalidArgument naming the key for: an
/// override whose `<name>` is not a valid message name, a sub-key other than `exchange` and
/// `routing_key` (and any other unknown key: a typo would otherwise route silently to the
/// wrong place), an empty value, an exchange name RabbitMQ would refuse (more than 255
/// characters other than letters, digits, `-`, `_`, `.`, `:`), or a routing key over 255 bytes.
/// A refused configuration leaves the object unchanged.
///
/// Threading: configure() once, before use; route() is const, reads only what configure()
/// built and may run concurrently.
class ConventionRouting : public msgbus::RoutingStrategy {
public:
    ConventionRouting();
    ~ConventionRouting() override;

    void configure(const Poco::Util::AbstractConfiguration& config) override;

    /// Throws MalformedMessage (permanent) when the message name is not a valid message name:
    /// no exchange can be derived from it.
    Route route(const Message& message) const override;

private:
    struct Override {
        std::optional<std::string> exchange;
        std::optional<std::string> routingKey;
    };

    std::optional<std::string> _exchange;
    std::map<std::string, Override, std::less<>> _overrides;
};

} // namespace msgbus::plugins
