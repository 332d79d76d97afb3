#pragma once

#include "msgbus/Export.h"

#include "msgbus/Configurable.h"
#include "msgbus/Message.h"
#include "msgbus/Route.h"

namespace msgbus {

/// Decides the exchange and routing key of an outgoing message. Called concurrently by relay
/// threads: keep route() const and stateless after configure().
class MSGBUS_API RoutingStrategy : public Configurable {
public:
    ~RoutingStrategy() override;

    /// Where the outbox row's message goes; called by the relay before Serializer::encode().
    /// Anything it throws, MalformedMessage included, fails only this row for this time, as a
    /// throwing encode() does: the row stays in the outbox and is tried again after a backoff;
    /// once outbox.max_attempts attempts have failed it moves to the failed table with the
    /// exception's text.
    virtual Route route(const Message& message) const = 0;
};

} // namespace msgbus
