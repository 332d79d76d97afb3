#pragma once

#include "core/amqp/AmqpConsumer.h"
#include "core/amqp/AmqpError.h"
#include "core/inbox/AckLedger.h"
#include "core/inbox/LaneRouter.h"
#include "core/metrics/Metrics.h"
#include "core/util/StopToken.h"
#include "core/util/WakeSignal.h"

#include <Poco/Logger.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace msgbus::core {

/// The pump's connection broke: what a lane holds of it is void (the broker has it back). The
/// pump logs why; a lane only starts over.
class BrokerConnectionLost : public amqp::AmqpError {
public:
    BrokerConnectionLost() : amqp::AmqpError("the broker connection was lost", true) {}
};

/// The broker side of an inbox consumer with several batches in flight: one thread owns the
/// AMQP connection (rabbitmq-c connections are not thread-safe), receives the deliveries,
/// hands each to a lane (LaneRouter) and sends the acks and nacks the lanes ask for, each
/// covering exactly that lane's deliveries (AckLedger); what several lanes asked for between
/// two turns goes out together, in as few frames as the unsettled tags allow.
///
/// Connection: connects, and reconnects with backoff when it breaks. Each connection is an
/// epoch; when one breaks, the deliveries queued for the lanes are dropped (the broker has
/// them back) and a lane that waits for a delivery learns it from take().
///
/// Threading: run() on the pump's own thread; take(), settle(), waitConnected() and the
/// accessors from the lanes' threads.
class ConsumerPump {
public:
    ConsumerPump(amqp::AmqpNodes nodes, amqp::AmqpConsumer::Options options, unsigned lanes,
                 std::size_t chunk, Metrics& metrics, std::string consumerName);

    /// Receives and settles until stop; settles what the lanes asked for last, then closes
    /// the connection (what is still unsettled goes back to the broker).
    void run(StopToken& stop);

    /// The next delivery for lane within timeout, from connection epoch. untilIdle: nothing
    /// as soon as the lane's queue is empty and the pump's socket has had nothing to read for
    /// a moment (50 µs with several lanes, 200 µs with one): the broker sent all it had, and a
    /// batch need not wait for more; the lane then counts as closed (see laneOpen()). Throws
    /// BrokerConnectionLost when that connection is gone.
    std::optional<amqp::Delivery> take(unsigned lane, std::uint64_t epoch,
                                       std::chrono::milliseconds timeout, bool untilIdle = false);

    /// Acks (ack) or nacks lane's deliveries tags of epoch: sent by the pump's thread soon
    /// after, each tag once and only if lane holds it. False when epoch is no longer the
    /// connection's (nothing to do: the broker has them back).
    bool settle(unsigned lane, std::vector<std::uint64_t> tags, bool ack, bool requeue,
                std::uint64_t epoch);

    /// lane waits for or gathers a batch (open), or runs one: deliveries without a partition
    /// key go to an open lane rather than queue behind a running batch (see LaneRouter).
    void laneOpen(unsigned lane, bool open);

    /// The connection's epoch once connected, waiting at most timeout; 0 when not connected.
    std::uint64_t waitConnected(std::chrono::milliseconds timeout);

    /// The epoch of the connection in use, 0 while there is none.
    std::uint64_t liveEpoch() const;
    std::string endpoint() const;

private:
    struct Settlement {
        unsigned lane;
        std::vector<std::uint64_t> tags;
        bool ack;
        bool requeue;
        std::uint64_t epoch;
    };

    void connect();
    void lost();
    void route(amqp::Delivery delivery);
    /// The pump starts (true) or ends (false) a wait on a socket with nothing to read.
    void waiting(bool idle);
    /// Sends the acks and nacks asked for so far.
    void flush();
    /// Settles, in the fewest frames, the tags of work's settlements of one kind (acks, or
    /// nacks with or without requeue) of the live connection.
    void send(const std::vector<Settlement>& work, bool ack, bool requeue);

    amqp::AmqpConsumer _consumer;
    Metrics& _metrics;
    const std::string _name;
    Poco::Logger& _log;
    // The pump's thread only:
    AckLedger _ledger;
    LaneRouter _router;
    // Shared with the lanes, under _mutex:
    WakeSignal _wake; ///< settle() wakes the pump's wait for the broker
    mutable std::mutex _mutex;
    std::vector<std::deque<amqp::Delivery>> _queues;
    std::vector<std::condition_variable> _arrivals; ///< one per lane; also on epoch changes
    std::vector<Settlement> _settlements;
    std::vector<char> _open;                   ///< per lane: see laneOpen()
    const std::chrono::microseconds _quietGap; ///< see take()
    std::uint64_t _epoch = 0;                  ///< 0 while not connected
    bool _idle = false;                        ///< the pump waits on a socket with nothing to read
    std::chrono::steady_clock::time_point _idleSince; ///< when that wait began
    std::string _endpoint;
};

} // namespace msgbus::core
