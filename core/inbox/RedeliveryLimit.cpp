#include "core/inbox/RedeliveryLimit.h"

#include <algorithm>

namespace msgbus::core {

RedeliveryLimit::RedeliveryLimit(int maxRedeliveries, std::optional<std::int64_t> deliveryLimit)
    : _maxRedeliveries(maxRedeliveries), _deliveryLimit(deliveryLimit) {}

void RedeliveryLimit::count(InboxItem& item, const amqp::Delivery& delivery, int tracked,
                            const std::string& trackedError, int deaths) const {
    item.redeliveries = std::max(tracked, deaths);
    // The tracker keeps the error of a give-back it excused (an outage) too: it is no reason
    // while nothing counts against the message.
    item.lastError = item.redeliveries > 0 ? trackedError : std::string();
    if (deaths > 0 && item.lastError.empty())
        item.lastError = "a host stopped while running it (" + std::to_string(deaths) +
                         " run(s) began and never ended)";
    // A host died while running it: that run's outside effects (a mail, an HTTP call) happened.
    item.rerun = deaths > 0;
    if (_deliveryLimit && delivery.redelivered && delivery.deliveryCount &&
        *delivery.deliveryCount >= *_deliveryLimit) {
        if (item.lastError.empty()) {
            // Nothing blames it (this host never saw it fail, no host died running it): the
            // broker counted outages, lost connections and shutdowns. It runs; a handler with
            // outside effects is told that it may have run before.
            item.rerun = true;
            return;
        }
        // It failed or killed a host before, and given back once more the queue would drop or
        // dead-letter it (x-delivery-limit): it is stored as failed now instead, with its body.
        item.redeliveries = std::max(item.redeliveries, _maxRedeliveries + 1);
        item.lastError = "the queue's x-delivery-limit (" + std::to_string(*_deliveryLimit) +
                         ") would drop it if it came back once more" +
                         (item.lastError.empty() ? "" : "; " + item.lastError);
    }
}

bool RedeliveryLimit::exceeded(const InboxItem& item) const noexcept {
    return item.redeliveries > _maxRedeliveries;
}

Failure RedeliveryLimit::failure(const InboxItem& item) const {
    // It keeps coming back (it crashed or stalled a consumer, or its batch kept failing): the
    // loop stops here, whatever the cause.
    return {"RedeliveryLimit",
            "delivered " + std::to_string(item.redeliveries + 1) +
                " times (inbox.max_redeliveries = " + std::to_string(_maxRedeliveries) +
                "); last error: " +
                (item.lastError.empty()
                     ? std::string("none seen by this host (an earlier delivery may have "
                                   "stopped a host)")
                     : item.lastError),
            false};
}

} // namespace msgbus::core
