#pragma once

#include "core/amqp/Delivery.h"

#include <cstddef>
#include <functional>

namespace msgbus::core {

/// Decides which lane (batch in flight) of a consumer runs a delivery.
///
/// Deliveries with a partition key (x-partition-key) go to the lane of their key's hash: one
/// lane runs its batches one after another, so a key's messages never run concurrently and keep
/// the queue's order. Deliveries without a key go to one lane in runs of chunk deliveries
/// (runs of neighbouring tags let the lanes ack with few frames, and fill a batch quickly),
/// then to the least loaded lane.
///
/// Not thread-safe: the broker connection's thread owns it.
class LaneRouter {
public:
    /// lanes >= 1; chunk >= 1.
    LaneRouter(unsigned lanes, std::size_t chunk);

    /// The lane for delivery; load(lane) says how many deliveries a lane holds unsettled.
    unsigned laneOf(const amqp::Delivery& delivery,
                    const std::function<std::size_t(unsigned)>& load);

    /// The lane of a partition key.
    unsigned laneOfKey(const std::string& key) const noexcept;

    unsigned lanes() const noexcept { return _lanes; }

private:
    unsigned _lanes;
    std::size_t _chunk;
    unsigned _current = 0;
    std::size_t _inChunk = 0;
};

} // namespace msgbus::core
