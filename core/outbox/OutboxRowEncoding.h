#pragma once

#include "core/amqp/AmqpPublisher.h"
#include "core/outbox/OutboxStore.h"
#include "core/outbox/RowFailure.h"

#include <msgbus/Message.h>
#include <msgbus/RoutingStrategy.h>
#include <msgbus/Serializer.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace msgbus::core {

/// The Message an outbox row holds. Throws when the headers column is not a JSON object of
/// strings, unless withHeaders is false (a row already on its way to the failed table keeps
/// what can be read).
Message messageOf(const OutboxRow& row, bool withHeaders = true);

/// The row as the relay publishes it: routed and serialized by the plugins, with message_id
/// set to the row's id whatever the serializer did (the publisher matches basic.return by it)
/// and the route's headers added. token is echoed in the publish outcome. Throws whatever the
/// plugins throw.
amqp::OutgoingMessage outgoingOf(const OutboxRow& row, const Serializer& serializer,
                                 const RoutingStrategy& routing, std::uint64_t token);

/// outgoingOf() with index as token, or nothing and a failure added to failures: plugin code
/// can throw anything, and one row's failure must not fail its batch.
std::optional<amqp::OutgoingMessage> encodeRow(const OutboxRow& row, std::size_t index,
                                               const Serializer& serializer,
                                               const RoutingStrategy& routing,
                                               std::vector<RowFailure>& failures);

} // namespace msgbus::core
