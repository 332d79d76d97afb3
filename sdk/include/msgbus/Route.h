#pragma once

#include "msgbus/Export.h"

#include <map>
#include <string>

namespace msgbus {

/// Where a message goes on AMQP: the exchange, the routing key and extra headers to add.
struct MSGBUS_API Route {
    std::string exchange;
    std::string routingKey;
    std::map<std::string, std::string> headers;

    bool operator==(const Route&) const = default;
};

} // namespace msgbus
