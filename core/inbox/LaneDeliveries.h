#pragma once

#include "core/amqp/Delivery.h"
#include "core/inbox/ConsumerPump.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace msgbus::core {

/// One lane's view of its consumer's broker connection: the deliveries the pump routed to this
/// lane, and acks and nacks that settle only this lane's deliveries. It reads like a consumer
/// of its own (connect, next, ack, nack, epoch), so a lane runs its batches the way a consumer
/// with one batch in flight does.
///
/// Threading: used by its lane's thread only.
class LaneDeliveries {
public:
    LaneDeliveries(ConsumerPump& pump, unsigned lane) : _pump(pump), _lane(lane) {}

    /// Takes the pump's connection, waiting for it a little while (the lane's loop comes back
    /// here, checking for a stop in between).
    void connect() { _epoch = _pump.waitConnected(std::chrono::milliseconds(200)); }
    bool isConnected() const { return _epoch != 0 && _pump.liveEpoch() == _epoch; }

    /// This lane's next delivery within timeout (untilIdle: see ConsumerPump::take). Throws
    /// BrokerConnectionLost when the connection this lane took is gone.
    std::optional<amqp::Delivery> next(std::chrono::milliseconds timeout, bool untilIdle = false) {
        if (_epoch == 0)
            throw BrokerConnectionLost();
        return _pump.take(_lane, _epoch, timeout, untilIdle);
    }

    /// This lane waits for or gathers a batch (open), or runs one (see ConsumerPump::laneOpen).
    void open(bool isOpen) { _pump.laneOpen(_lane, isOpen); }

    /// Acks the deliveries tags of epoch (exactly those: never a delivery of this lane that
    /// is not done). False when epoch is not the live connection's.
    bool ack(std::vector<std::uint64_t> tags, std::uint64_t epoch) {
        return _pump.settle(_lane, std::move(tags), true, false, epoch);
    }
    bool nack(std::vector<std::uint64_t> tags, bool requeue, std::uint64_t epoch) {
        return _pump.settle(_lane, std::move(tags), false, requeue, epoch);
    }

    /// The connection this lane took (0 before connect()).
    std::uint64_t epoch() const noexcept { return _epoch; }
    std::string endpoint() const { return _pump.endpoint(); }

private:
    ConsumerPump& _pump;
    const unsigned _lane;
    std::uint64_t _epoch = 0;
};

} // namespace msgbus::core
