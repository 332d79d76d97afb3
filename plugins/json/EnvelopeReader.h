#pragma once

#include <msgbus/Id.h>
#include <msgbus/WireMessage.h>

#include <cstdint>
#include <optional>
#include <string>

namespace msgbus::plugins {

/// JsonSerializer::decode()'s reading of a Message's envelope from a WireMessage: where the id,
/// the name, the creation time and the partition key are looked for, in which order, and what
/// a header value's text form is. The lookup orders are documented on JsonSerializer, the
/// contract plugin users read.
///
/// Each function throws MalformedMessage (permanent) naming the header or property it read
/// (field(): "message id", "header x-message-id", "property type", ...). Stateless and
/// thread-safe.
class EnvelopeReader {
public:
    EnvelopeReader() = delete;

    /// Header x-message-id, else the last element of a MessageIdStamp header, else property
    /// message_id.
    static msgbus::Id id(const msgbus::WireMessage& wire);

    /// Header x-message-name, else property type, else header type; a valid message name.
    static std::string name(const msgbus::WireMessage& wire);

    /// Epoch milliseconds: header x-created-at (an Integer kind), else property timestamp *
    /// 1000, else 0.
    static std::int64_t createdAt(const msgbus::WireMessage& wire);

    /// Header x-partition-key as text, if present.
    static std::optional<std::string> partitionKey(const msgbus::WireMessage& wire);

    /// A header value as Message header text, or nothing when it has no faithful text form:
    /// strings and byte arrays that are valid UTF-8, integers and timestamps as decimal text,
    /// booleans as "true"/"false", floats in their shortest round-trip form.
    static std::optional<std::string> headerText(const msgbus::FieldValue& value);
};

} // namespace msgbus::plugins
