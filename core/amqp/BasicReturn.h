#pragma once

#include "core/amqp/AmqpConnection.h"

#include <msgbus/WireMessage.h>

#include <amqp.h>

#include <string>

namespace msgbus::core::amqp {

/// What a basic.return says about the mandatory message it gives back. It carries no delivery
/// tag, so the message is named by its correlation key.
struct BasicReturn {
    /// The returned message's correlationKey(), "" when it has none.
    std::string correlationKey;
    /// The broker's reason with the route: "NO_ROUTE: exchange 'x' routing key 'k' (reply 312)".
    std::string error;
};

/// The id a basic.return is matched by: the message_id property, else a non-empty
/// `x-message-id` header; "" when the message has neither. The two overloads agree on a
/// message as AmqpMessageEncoder puts it on the wire.
std::string correlationKey(const msgbus::WireMessage& wire);
std::string correlationKey(const amqp_basic_properties_t& properties);

/// Reads the rest of the basic.return whose method frame is frame: its header and body frames
/// follow it and must be consumed, or the next read would meet them as stray frames.
/// Throws AmqpError as AmqpConnection::checkRpcReply() does.
BasicReturn readBasicReturn(AmqpConnection& connection, const amqp_frame_t& frame);

} // namespace msgbus::core::amqp
