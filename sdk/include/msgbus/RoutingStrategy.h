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
    virtual Route route(const Message& message) const = 0;
};

} // namespace msgbus
