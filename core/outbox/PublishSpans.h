#pragma once

#include "core/amqp/AmqpPublisher.h"
#include "core/outbox/OutboxStore.h"
#include "core/tracing/SpanExporter.h"

#include <cstdint>
#include <map>
#include <vector>

namespace msgbus::core {

/// The publish spans (OTLP PRODUCER) of one relayed batch's traced rows, while tracing is on.
/// A row is traced when its message carries a valid `traceparent`; its span is that context's
/// child, and the message leaves with the span as its parent, so the consumer's span hangs
/// under the publish. Untraced rows start nothing and leave unchanged. One per batch; not
/// thread-safe.
class PublishSpans {
public:
    /// Starts the span of row (index in its batch) and rewrites message's traceparent.
    void start(const OutboxRow& row, std::size_t index, amqp::OutgoingMessage& message);

    /// The finished spans of the confirmed rows (confirmed holds seqs; rows is the batch, in
    /// index order), ended now; the others are forgotten. Clears the set.
    std::vector<Span> finish(const std::vector<OutboxRow>& rows,
                             const std::vector<std::int64_t>& confirmed);

    bool empty() const noexcept { return _spans.empty(); }

private:
    std::map<std::size_t, Span> _spans; ///< by row index
};

} // namespace msgbus::core
