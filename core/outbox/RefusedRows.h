#pragma once

#include "core/amqp/AmqpPublisher.h"
#include "core/outbox/OutboxStore.h"
#include "core/outbox/RowFailure.h"
#include "core/plugins/PluginRegistry.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace msgbus::core {

/// Finds the rows of a batch the broker refuses, after it closed the channel under several
/// unconfirmed ones (no write permission, too large, ...): publishes the suspects one at a
/// time, so that a refusal names its message, and sorts each into confirmed or failures.
/// Nothing else may be unconfirmed on the publisher's channel meanwhile (the caller collects
/// the other batches' outcomes first). One per relay, on its thread.
class RefusedRows {
public:
    /// ordered: outbox.ordered, where a key's rows behind a refused one stay unpublished.
    RefusedRows(amqp::AmqpPublisher& publisher, PluginRegistry& plugins,
                std::chrono::milliseconds confirmTimeout, bool ordered)
        : _publisher(publisher), _plugins(plugins), _confirmTimeout(confirmTimeout),
          _ordered(ordered) {}

    /// Publishes rows[suspects] one by one; adds to confirmed and failures. Returns false when
    /// some could not be settled either way (they are published again later).
    bool isolate(const std::vector<OutboxRow>& rows, const std::vector<std::size_t>& suspects,
                 std::vector<std::int64_t>& confirmed, std::vector<RowFailure>& failures);

private:
    amqp::AmqpPublisher& _publisher;
    PluginRegistry& _plugins;
    const std::chrono::milliseconds _confirmTimeout;
    const bool _ordered;
};

} // namespace msgbus::core
