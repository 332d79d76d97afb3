#pragma once

#include "core/config/WorkerSettings.h"
#include "core/db/Database.h"
#include "core/inbox/ConsumerPump.h"
#include "core/inbox/RedeliveryTracker.h"
#include "core/metrics/Metrics.h"
#include "core/plugins/PluginRegistry.h"
#include "core/util/StopToken.h"

#include <cstdint>
#include <functional>

namespace msgbus::core {

/// One inbox consumer (inbox.consumers entry): consumes its queue with manual acks, with up to
/// inbox.consumer.<c>.concurrency batches in flight, each on its own thread and database
/// session (InboxLane). One thread (ConsumerPump) owns the broker connection: it hands each
/// delivery to a lane and sends the acks the lanes ask for, each covering only that lane's
/// deliveries. Messages with the same partition key go to the same lane, so they never run
/// concurrently and keep their queue order.
///
/// Each delivery is acked only after its outcome is committed, by the lane that ran it; the
/// redelivery counts are shared by the lanes.
// Alike on purpose: the inbox workers share one shape (database, plugins, their settings
// slice, metrics, the relays' wake-up; run until the stop token).
class InboxConsumer {
public:
    /// settings is copied: the consumer keeps its own slice.
    InboxConsumer(Database& database, PluginRegistry& plugins, const InboxWorkerSettings& settings,
                  Metrics& metrics, std::function<void()> onOutboxWrite);

    /// Consumes until stop is requested (each lane finishing the batch in hand), or until limit
    /// deliveries were processed when limit > 0.
    void run(StopToken& stop, std::uint64_t limit = 0);

private:
    const InboxWorkerSettings _settings;
    Database& _database;
    PluginRegistry& _plugins;
    Metrics& _metrics;
    std::function<void()> _onOutboxWrite;
    ConsumerPump _pump;
    RedeliveryTracker _redeliveries;
};

} // namespace msgbus::core
