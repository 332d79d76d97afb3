#pragma once

#include "core/inbox/PreparedMessage.h"
#include "core/tracing/SpanExporter.h"

#include <cstdint>
#include <optional>
#include <string>

namespace msgbus::core {

/// The span of one handling of a traced message (OTLP kind CONSUMER): a child of the span
/// named by the message's traceparent, from the start to the end of its handler's last run,
/// marked as an error unless the message was handled. Messages the handler published name it
/// as their parent (InboxHandlerContext), so a trace follows a message through every hop.
///
/// Pure.
class HandlingSpan {
public:
    /// The span of p's committed outcome; nothing when p's handler did not run with a span
    /// (spans off, or an untraced message) or its traceparent cannot be parsed. nowNanos ends a
    /// run whose end was not noted.
    static std::optional<Span> of(const PreparedMessage& p, const std::string& consumer,
                                  std::int64_t nowNanos);
};

} // namespace msgbus::core
