#include "core/inbox/HandlingSpan.h"

#include "core/tracing/TraceContext.h"

namespace msgbus::core {

std::optional<Span> HandlingSpan::of(const PreparedMessage& p, const std::string& consumer,
                                     std::int64_t nowNanos) {
    if (p.spanId.empty() || !p.message)
        return std::nullopt;
    auto parent = TraceParent::parse(p.message->header("traceparent").value_or(""));
    if (!parent)
        return std::nullopt;
    Span span;
    span.traceId = parent->traceId;
    span.spanId = p.spanId;
    span.parentSpanId = parent->parentId;
    span.name = "handle " + p.message->name();
    span.kind = 5; // consumer
    span.startUnixNanos = p.startNanos;
    span.endUnixNanos = p.endNanos ? p.endNanos : nowNanos;
    span.attributes = {{"messaging.system", "rabbitmq"},
                       {"messaging.consumer.group.name", consumer},
                       {"messaging.message.id", p.message->id().toString()},
                       {"msgbus.message.name", p.message->name()},
                       {"msgbus.attempt", std::to_string(p.item->attempt)}};
    if (p.result != ProcessResult::Handled)
        span.error = p.error;
    return span;
}

} // namespace msgbus::core
