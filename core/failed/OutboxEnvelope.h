#pragma once

#include "core/failed/FailedStore.h"

#include <msgbus/Message.h>

#include <string>

namespace msgbus::core {

/// The headers column of a failed row for an outbox message that never reached the broker,
/// written by the relay when it gives the row up and read by `msgbus failed:retry` when it puts
/// the message back into the outbox: one codec, so that both sides agree on the stored form.
///
/// The column holds a stored envelope (envelopeToJson): the message's id, name and creation
/// time (seconds) as the message_id, type and timestamp properties; its string headers; and
/// x-partition-key and x-created-at (milliseconds) headers for its key and creation time.
/// Stateless.
class OutboxEnvelope {
public:
    /// The source column of these rows.
    static constexpr const char* source = "outbox";

    /// The headers column for message (it must have its id).
    static std::string encode(const Message& message);

    /// The headers column of a row that could not be read as a message (its id is invalid):
    /// no properties, no headers.
    static std::string unreadable();

    /// The message to write back into the outbox: name, id and body from the row's columns
    /// (no id column: none set), string headers, key and creation time from its envelope.
    /// Throws InvalidArgument when the headers column is no stored envelope.
    static Message decode(const FailedRecord& record);
};

} // namespace msgbus::core
