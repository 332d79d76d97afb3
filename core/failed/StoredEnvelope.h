#pragma once

#include <msgbus/WireMessage.h>

#include <string>

namespace msgbus::core {

/// The headers column of the failed table: the AMQP properties and the header table of a
/// message, every header value with its AMQP type (binary values base64), so a retry re-creates
/// exactly what arrived:
///   {"properties":{"message_id":"…","type":"…","timestamp":1700000000,…},
///    "headers":{"x-message-id":{"S":"…"},"x-created-at":{"l":1700000000000},…}}
/// (The body column keeps the body bytes.)
std::string envelopeToJson(const WireMessage& wire);

/// Rebuilds properties and headers (the body is not part of the JSON). Throws InvalidArgument.
WireMessage envelopeFromJson(const std::string& json, std::string body);

} // namespace msgbus::core
