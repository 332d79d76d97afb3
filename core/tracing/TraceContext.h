#pragma once

#include <msgbus/Message.h>

#include <optional>
#include <string>

namespace msgbus::core {

/// A W3C trace context `traceparent` header: "00-<trace id: 32 hex>-<parent id: 16 hex>-<flags:
/// 2 hex>". Only version 00 is understood; ids of all zeros are invalid.
struct TraceParent {
    std::string traceId;
    std::string parentId;
    std::string flags;

    /// The parsed header, or nothing when it is malformed (then no trace is continued).
    static std::optional<TraceParent> parse(const std::string& header);

    /// The traceparent of a span in the same trace: spanId, or a fresh random one when empty.
    std::string child(const std::string& spanId = "") const;
};

/// What a message published by a handler inherits from the message it handles (its cause),
/// unless the handler set the header itself:
/// - `traceparent`: a child of the cause's (same trace id; the span id is parentSpanId, the span
///   of the cause's handling when spans are recorded, else a new one), `tracestate` as is;
/// - `correlation-id`: the cause's, or the cause's message id when it has none;
/// - `causation-id`: the cause's message id.
/// A trace or a conversation thus stays one across every hop through the outbox.
void inheritContext(const Message& cause, Message& effect, const std::string& parentSpanId = "");

/// The trace id of a message's traceparent, or "" (for logs).
std::string traceIdOf(const Message& message);

} // namespace msgbus::core
