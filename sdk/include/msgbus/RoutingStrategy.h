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
    /// What it throws fails only this row, as a throwing encode() does: MalformedMessage moves
    /// it to the failed table at once; anything else leaves it in the outbox to be tried again
    /// after a backoff, until outbox.max_attempts attempts have failed.
    virtual Route route(const Message& message) const = 0;
};

} // namespace msgbus
