#pragma once

#include "core/amqp/Delivery.h"

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace msgbus::core {

/// Counts how often a delivery came back, so that a message that keeps coming back (it stalls
/// or fails its batch, or its consumer) ends in the failed table instead of looping.
///
/// The count is the redelivered deliveries this consumer saw of the message (identified by its
/// message id, else by its body), less the give-backs it excused: those during a database
/// outage, a lost broker connection or a shutdown are not the message's fault, and a long
/// outage must not fail healthy messages.
///
/// The broker's own count (quorum queues' x-delivery-count) is not used: it counts every
/// host's outage and shutdown returns too, which nothing can tell from a message's fault, so
/// it failed healthy messages after a few outages. A message that kills its host process,
/// whose local count dies with it, is counted by UnfinishedRuns instead.
///
/// The last error seen is kept for the failed row's reason.
///
/// A message that kills its host process is counted by UnfinishedRuns in the database, since
/// this count dies with the process; runLeftBehind() records the runs this consumer left there
/// itself, which are no host's death.
///
/// Memory: an entry exists only for a message that came back and is not settled yet; the
/// table is emptied if it ever grows past capacity. Thread-safe: the lanes of a consumer share
/// one (a message given back by one lane may come back to another).
class RedeliveryTracker {
public:
    explicit RedeliveryTracker(std::size_t capacity = 10000) : _capacity(capacity) {}

    /// How often delivery was delivered before without being settled, excused give-backs
    /// left out; 0 for a first delivery.
    int redeliveries(const amqp::Delivery& delivery);

    /// The last error recorded for it by gaveBack(), or "".
    std::string lastError(const amqp::Delivery& delivery) const;

    /// delivery goes back to the broker: because of error, excused when outage is true.
    void gaveBack(const amqp::Delivery& delivery, const std::string& error, bool outage);

    /// delivery's outcome is committed: forget it.
    void settled(const amqp::Delivery& delivery);

    /// A run of delivery that this consumer began and gave back alive is still recorded in the
    /// database (taking it back failed): it is not a host's death.
    void runLeftBehind(const amqp::Delivery& delivery);

    /// How many runs of delivery runLeftBehind() recorded.
    int runsLeftBehind(const amqp::Delivery& delivery) const;

    /// What identifies a delivery's message: its message id (header, else property), else its
    /// body and routing key.
    static std::string identityOf(const amqp::Delivery& delivery);

private:
    struct Entry {
        int seen = 0;
        int excused = 0;
        int runsLeft = 0;
        std::string lastError;
    };

    /// The entry of key, made when missing. Bounded: past the capacity the counts start over
    /// (a flood of distinct messages costs counts, never memory).
    Entry& entryFor(const std::string& key);

    std::size_t _capacity;
    mutable std::mutex _mutex;
    std::unordered_map<std::string, Entry> _entries;
};

} // namespace msgbus::core
