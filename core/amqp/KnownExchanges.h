#pragma once

#include "core/amqp/AmqpConnection.h"

#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_set>

namespace msgbus::core::amqp {

/// The exchanges found to exist on one connection, each checked once with a passive
/// exchange.declare before anything is published to it. A basic.publish to a missing exchange
/// costs the channel (the broker closes it with 404, and the confirms of every unconfirmed
/// message on it are lost with it); a failed check costs only the check.
///
/// Threading: none; it belongs to its publisher's thread, as the connection does.
///
/// Ownership: holds names only; the connection is lent to check() for the call.
class KnownExchanges {
public:
    /// Whether check() found the exchange on the current connection.
    bool contains(const std::string& name) const { return _known.count(name) != 0; }

    /// Forgets them all: a new connection, or a channel failure that may come from an exchange
    /// deleted since it was checked.
    void clear() noexcept { _known.clear(); }

    /// Declares each of names passively on connection's channel, in order, and remembers the
    /// ones that exist. Returns the others, each with the broker's refusal (404 NOT_FOUND, 403
    /// ACCESS_REFUSED). Each refusal closes the channel: reopenChannel is called after it, so
    /// that the next check and the caller find a usable channel.
    /// Throws AmqpError when the connection is lost, and whatever reopenChannel throws.
    std::map<std::string, std::string> check(AmqpConnection& connection,
                                             const std::set<std::string>& names,
                                             const std::function<void()>& reopenChannel);

private:
    std::unordered_set<std::string> _known;
};

} // namespace msgbus::core::amqp
