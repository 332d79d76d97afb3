#pragma once

#include <msgbus/WireMessage.h>

#include <cstdint>
#include <optional>
#include <string>

namespace msgbus::core {

/// One message for the pipeline: the wire form, the attempt number (1 for a fresh delivery)
/// and, when it comes from the retry table, that row's id. A value type; wire is borrowed from
/// the caller and must outlive the item.
struct InboxItem {
    InboxItem() = default;
    InboxItem(const WireMessage* wire_, int attempt_ = 1, std::int64_t retryRowId_ = 0)
        : wire(wire_), attempt(attempt_), retryRowId(retryRowId_) {}

    const WireMessage* wire = nullptr;
    int attempt = 1;
    std::int64_t retryRowId = 0;
    /// The transport could not hand the message over whole (see amqp::Delivery::decodeError):
    /// it goes to the failed table with this reason and what wire holds.
    std::optional<std::string> decodeError;
    /// How often it was delivered before without being settled, not counting the times it was
    /// given back during a database outage, or how often a host died while running it, if
    /// more; above inbox.max_redeliveries it goes to the failed table (with lastError),
    /// whatever the cause. RedeliveryLimit fills both in.
    int redeliveries = 0;
    std::string lastError;
    /// Its handler may have run before in a run whose database work was lost (a host died
    /// running it, or the broker counted it to its limit without this host seeing why): the
    /// handler is told (HandlerContext::isRerun()).
    bool rerun = false;
    /// The broker delivers it for the first time (not flagged redelivered) and it comes from
    /// no retry row: only a republish can make it a duplicate, which the dedup insert still
    /// catches, so the batch need not look its id up beforehand.
    bool firstDelivery = false;
};

} // namespace msgbus::core
