#pragma once

#include "core/amqp/AmqpConnection.h"
#include "core/amqp/AmqpUrl.h"
#include "core/amqp/ConfirmTracker.h"
#include "core/amqp/KnownExchanges.h"
#include "core/amqp/PublishOutcome.h"

#include <msgbus/WireMessage.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace Poco {
class Logger;
}

namespace msgbus::core::amqp {

class AmqpError;

/// One message for AmqpPublisher::submit. token is the caller's handle, echoed in the
/// outcome: the outbox relay passes the row's index in its claimed batch.
struct OutgoingMessage {
    std::uint64_t token = 0;
    std::string exchange;
    std::string routingKey;
    msgbus::WireMessage wire;
};

/// Publishes batches with publisher confirms and mandatory routing: the AMQP half of the
/// outbox relay.
///
/// Threading: one per relay thread (it owns its connection; rabbitmq-c connections cannot be
/// shared). No method is thread-safe.
///
/// Connection: created lazily by submit, with channel 1 in confirm mode; destroyed on
/// any connection-level failure and recreated by the next submit. Exchange existence is
/// checked once per connection and name (passive exchange.declare), so a message to a missing
/// exchange is reported Unroutable without being published and never costs the channel the
/// rest of the batch.
///
/// Throughput: at most confirmWindow messages are unconfirmed at any time; when the window is
/// full the publisher reads confirms until half of it is free, so the confirm round trip is
/// paid once per half window, never per message. Batches are pipelined: submit() returns once
/// the batch is written, so the broker works on one batch while the caller claims the next.
class AmqpPublisher {
public:
    struct Options {
        AmqpConnection::Options connection;
        /// Most unconfirmed messages in flight (outbox.confirm_window).
        std::size_t confirmWindow = 1000;
    };

    explicit AmqpPublisher(AmqpNodes nodes);
    AmqpPublisher(AmqpNodes nodes, Options options);
    ~AmqpPublisher();

    AmqpPublisher(const AmqpPublisher&) = delete;
    AmqpPublisher& operator=(const AmqpPublisher&) = delete;

    /// Publishes every message persistent (delivery_mode 2 unless wire.properties says
    /// otherwise) with mandatory=1 and waits for the broker's confirms: submit() then
    /// await(). Returns exactly one outcome per input message, in input order; see
    /// PublishResult and submit() for the failure rules.
    std::vector<PublishOutcome> publishBatch(const std::vector<OutgoingMessage>& messages,
                                             std::chrono::milliseconds confirmTimeout) {
        return await(submit(messages, confirmTimeout));
    }

    /// A batch handed to submit(), until await() collected it.
    using BatchId = ConfirmTracker::BatchId;

    /// Publishes the messages and returns without waiting for their confirms, so that the
    /// caller can prepare the next batch while the broker works on this one. When the confirm
    /// window is full, confirms (of this or earlier batches) are read before publishing more.
    /// confirmTimeout is the deadline for publishing and confirming this batch (connecting and
    /// the exchange checks are bounded by the connection's connect and RPC timeouts): what is
    /// not settled when await() finds it expired is NotConfirmed, and the connection is torn
    /// down (a late ack could otherwise be matched to the wrong message).
    ///
    /// Unroutable detection needs an id: basic.return carries no delivery tag, so a returned
    /// message is matched by its message_id property, else by its `x-message-id` header;
    /// messages with neither are reported Confirmed even when returned (a warning is logged).
    ///
    /// Failure: throws AmqpError (connectionLost() == true) only when no connection can be
    /// made (broker unreachable, login refused): nothing of this batch was published, back off
    /// and retry. A failure after publishing started is reported through the outcomes
    /// (NotConfirmed with the reason), for this batch and every other batch still in flight
    /// on the connection; a channel.close reopens the channel, a connection failure destroys
    /// the connection for the next submit to rebuild.
    BatchId submit(std::vector<OutgoingMessage> messages, std::chrono::milliseconds confirmTimeout);

    /// Reads confirms until the batch is settled or its deadline passes, and returns its
    /// outcomes (one per message, in submit order). Each id is awaited once; batches may be
    /// awaited in any order. Throws msgbus::InvalidArgument for an id not in flight (awaited
    /// already).
    std::vector<PublishOutcome> await(BatchId id);

    /// Reads confirms until the batch is settled, its deadline passes or wakeFd (an eventfd or
    /// any pollable descriptor, never read here) becomes readable. Returns false when wakeFd
    /// ended the wait with the batch still unsettled; true when await(id) returns at once
    /// (nothing left to wait for). Broker failures are handled as in await(). Lets a caller
    /// do other work (claim and publish the next batch) while confirms are outstanding.
    bool awaitOrWake(BatchId id, int wakeFd);

    /// True while a connection exists and is usable.
    bool isConnected() const noexcept;
    /// The node of the current connection ("host:port vhost '/'"), "" without one.
    std::string endpoint() const { return _connection ? _connection->endpoint() : std::string(); }

    /// Closes the connection politely; batches still in flight end NotConfirmed. The next
    /// submit reconnects.
    void close() noexcept;

    /// Services heartbeats while idle; call more often than heartbeat/2 between batches (the
    /// relay's poll loop). Never connects. A connection failure is logged and the connection
    /// dropped (the next submit reconnects); nothing is thrown.
    void keepAlive() noexcept;

    /// How many connections this publisher has opened (1 after the first batch): a metric.
    std::uint64_t connectCount() const noexcept { return _connectCount; }

private:
    /// What the publisher keeps of a submitted batch; its outcomes are in _tracker.
    struct Batch {
        std::vector<OutgoingMessage> messages;
        std::chrono::steady_clock::time_point deadline;
        std::chrono::milliseconds confirmTimeout{0};
    };

    void ensureConnected();
    void ensureChannelReady();
    void publishAll(BatchId id, const Batch& batch);
    void checkExchanges(BatchId id, const Batch& batch);
    void publishOne(BatchId id, const Batch& batch, std::size_t index);
    /// Reads frames until done() or the deadline; false on the deadline.
    bool readUntil(const std::function<bool()>& done,
                   std::chrono::steady_clock::time_point deadline);
    void settleOverdue(BatchId id, const Batch& batch);
    /// Reads and handles one frame; false when none came within timeout.
    bool readFrame(timeval timeout, const char* what);
    void readArrived();
    void catchUp(const char* what) noexcept;
    void handleFrame(const amqp_frame_t& frame);
    void handleFailure(const AmqpError& e);
    void discard(BatchId id) noexcept;
    void teardown() noexcept;
    void dropConnection(const char* reason) noexcept;

    AmqpNodes _nodes;
    Options _options;
    std::unique_ptr<AmqpConnection> _connection;
    /// The channel generation confirm.select was sent on; confirm mode dies with the channel.
    std::uint64_t _confirmGeneration = 0;
    /// Exchanges known to exist on the current connection.
    KnownExchanges _knownExchanges;
    std::uint64_t _connectCount = 0;
    /// Submitted and not yet awaited.
    std::map<BatchId, Batch> _batches;
    /// Outcomes of the batches in _batches, and the confirms due on the current channel.
    ConfirmTracker _tracker;
    Poco::Logger& _logger;
};

} // namespace msgbus::core::amqp
