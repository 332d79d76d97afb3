#pragma once

#include "core/amqp/Delivery.h"

#include <cstddef>
#include <functional>

namespace msgbus::core {

/// Decides which lane (batch in flight) of a consumer runs a delivery.
///
/// Deliveries with a partition key (the x-partition-key header, of any kind a serializer takes
/// as a key) go to the lane of their key's hash: one
/// lane runs its batches one after another, so a key's messages never run concurrently and keep
/// the queue's order. Deliveries without a key go to one lane in runs of chunk deliveries
/// (runs of neighbouring tags let the lanes ack with few frames, and fill a batch quickly),
/// then to the least loaded lane.
///
/// A lane is open while it waits for a batch or gathers one, and closed while it runs one.
/// Once the lane of the current run has closed, the next delivery goes to an open lane that
/// holds no more: a delivery that arrives while a batch runs then starts on a lane that is
/// free, instead of waiting out that batch's handlers and commit behind it (at a moderate rate,
/// a burst that the broker hands over in two parts would otherwise take two batches' time, one
/// after the other). On a tie, an open lane is preferred at the end of a run as well.
///
/// Not thread-safe: the broker connection's thread owns it.
class LaneRouter {
public:
    using Load = std::function<std::size_t(unsigned)>;
    using Open = std::function<bool(unsigned)>;

    /// lanes >= 1; chunk >= 1.
    LaneRouter(unsigned lanes, std::size_t chunk);

    /// The lane for delivery; load(lane) says how many deliveries a lane holds unsettled,
    /// open(lane) whether it waits for or gathers a batch (every lane, when not given).
    unsigned laneOf(const amqp::Delivery& delivery, const Load& load, const Open& open = {});

    /// The lane of a partition key.
    unsigned laneOfKey(const std::string& key) const noexcept;

    unsigned lanes() const noexcept { return _lanes; }

private:
    /// Among the current lane and the candidates: the least loaded, an open one on a tie, the
    /// current one on a further tie.
    unsigned best(const Load& load, const Open& open, const Open& candidate) const;

    unsigned _lanes;
    std::size_t _chunk;
    unsigned _current = 0;
    std::size_t _inChunk = 0;
};

} // namespace msgbus::core
