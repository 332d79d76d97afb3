#pragma once

#include <string>
#include <utility>
#include <vector>

namespace msgbus::core::console {

/// The headers of a stored message as the console shows them: the AMQP properties
/// ("content_type", "message_id", ...) and the header table, each value as text, the values of
/// masked headers replaced by "***" (credentials a producer put in a header must not reach a
/// page). Pure, thread-safe.
class HeaderView {
public:
    /// masked: lower-case parts of names; a header whose lower-cased name contains one is
    /// masked (so "token" masks "x-auth-token").
    explicit HeaderView(std::vector<std::string> masked) : _masked(std::move(masked)) {}

    using Entries = std::vector<std::pair<std::string, std::string>>;
    struct View {
        Entries properties; ///< the AMQP properties
        Entries headers;    ///< the header table
    };

    /// The entries of the failed table's headers column (StoredEnvelope's JSON), in order.
    /// A column that cannot be read gives one header, "(unreadable)", saying why.
    View of(const std::string& envelopeJson) const;

    bool masked(const std::string& name) const;

private:
    std::vector<std::string> _masked;
};

} // namespace msgbus::core::console
