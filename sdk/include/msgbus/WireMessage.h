#pragma once

#include "msgbus/Export.h"

#include "msgbus/FieldValue.h"

#include <cstdint>
#include <optional>
#include <string>

namespace msgbus {

/// The AMQP basic properties msgbus reads and writes. Unset optionals are not sent.
struct MSGBUS_API AmqpProperties {
    std::optional<std::string> contentType;
    std::optional<std::string> contentEncoding;
    std::optional<std::uint8_t> deliveryMode; ///< 2 = persistent
    std::optional<std::uint8_t> priority;
    std::optional<std::string> correlationId;
    std::optional<std::string> replyTo;
    std::optional<std::string> expiration;
    std::optional<std::string> messageId;
    std::optional<std::int64_t> timestamp; ///< seconds since the epoch
    std::optional<std::string> type;
    std::optional<std::string> userId;
    std::optional<std::string> appId;

    bool operator==(const AmqpProperties&) const = default;
};

/// A message as it travels on AMQP: body bytes, properties and the header table.
/// What a Serializer produces from a Message and turns back into one.
struct MSGBUS_API WireMessage {
    std::string body;
    AmqpProperties properties;
    FieldTable headers;

    /// The header named key, or nullptr.
    const FieldValue* header(std::string_view key) const noexcept {
        return findField(headers, key);
    }

    bool operator==(const WireMessage&) const = default;
};

} // namespace msgbus
