#include "core/outbox/PublishSpans.h"

#include "core/tracing/TraceContext.h"

#include <set>

namespace msgbus::core {

void PublishSpans::start(const OutboxRow& row, std::size_t index, amqp::OutgoingMessage& message) {
    const FieldValue* header = message.wire.header("traceparent");
    if (!header || !header->isString())
        return;
    auto parent = TraceParent::parse(header->text);
    if (!parent)
        return; // an untraced (or malformed) context starts no trace
    Span span;
    span.traceId = parent->traceId;
    span.spanId = newSpanId();
    span.parentSpanId = parent->parentId;
    span.name = "publish " + row.name;
    span.kind = 4; // producer
    span.startUnixNanos = unixNanosNow();
    span.attributes = {{"messaging.system", "rabbitmq"},
                       {"messaging.destination.name", message.exchange},
                       {"messaging.rabbitmq.destination.routing_key", message.routingKey},
                       {"messaging.message.id", row.id.toString()},
                       {"msgbus.message.name", row.name},
                       {"msgbus.attempt", std::to_string(row.attempts + 1)}};
    setField(message.wire.headers, "traceparent", FieldValue::ofString(parent->child(span.spanId)));
    _spans.insert_or_assign(index, std::move(span));
}

std::vector<Span> PublishSpans::finish(const std::vector<OutboxRow>& rows,
                                       const std::vector<std::int64_t>& confirmed) {
    std::vector<Span> finished;
    if (_spans.empty())
        return finished;
    const std::set<std::int64_t> done(confirmed.begin(), confirmed.end());
    const std::int64_t end = unixNanosNow();
    for (auto& [index, span] : _spans)
        if (index < rows.size() && done.count(rows[index].seq)) {
            span.endUnixNanos = end;
            finished.push_back(std::move(span));
        }
    _spans.clear();
    return finished;
}

} // namespace msgbus::core
