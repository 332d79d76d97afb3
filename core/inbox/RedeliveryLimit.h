#pragma once

#include "core/amqp/AmqpConsumer.h"
#include "core/inbox/Failure.h"
#include "core/inbox/InboxItem.h"

#include <cstdint>
#include <optional>
#include <string>

namespace msgbus::core {

/// inbox.max_redeliveries as decisions: how often a delivery counts as delivered before, why,
/// and when that stops it (a failed row instead of its handler running again), whatever made
/// it come back: a consumer that died or stalled on it, a batch it kept failing, a host it
/// killed.
///
/// Two counts enter: the RedeliveryTracker's (this consumer's give-backs, outages excused) and
/// the host deaths UnfinishedRuns found (runs that began and never ended). The queue's
/// x-delivery-limit matters too: a quorum queue drops or dead-letters a message delivered that
/// often, body and all, so one about to reach it that has either count is stopped here while
/// its body can still be kept; one without (the broker counted outages and shutdowns, none its
/// fault) runs, flagged as a possible rerun.
///
/// Pure: no state beyond its settings, no I/O; safe from any thread.
class RedeliveryLimit {
public:
    /// deliveryLimit: the x-delivery-limit of the consumed queue, when the configuration
    /// declares one.
    explicit RedeliveryLimit(int maxRedeliveries,
                             std::optional<std::int64_t> deliveryLimit = std::nullopt);

    /// Fills in item.redeliveries and item.lastError for delivery: tracked and trackedError
    /// are the RedeliveryTracker's count and last error, deaths the host deaths counted for it.
    void count(InboxItem& item, const amqp::Delivery& delivery, int tracked,
               const std::string& trackedError, int deaths) const;

    /// The item came back too often: it goes to the failed table without running.
    bool exceeded(const InboxItem& item) const noexcept;

    /// The failed row's reason for an item exceeded() holds for (permanent).
    Failure failure(const InboxItem& item) const;

private:
    int _maxRedeliveries;
    std::optional<std::int64_t> _deliveryLimit;
};

} // namespace msgbus::core
