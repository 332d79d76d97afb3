#pragma once

#include "core/amqp/AmqpConnection.h"
#include "core/amqp/AmqpUrl.h"

#include <msgbus/WireMessage.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace Poco {
class Logger;
}

namespace msgbus::core::amqp {

class AmqpError;

/// One message for AmqpPublisher::publishBatch. token is the caller's handle (the outbox
/// row's seq), echoed in the outcome.
struct OutgoingMessage {
    std::uint64_t token = 0;
    std::string exchange;
    std::string routingKey;
    msgbus::WireMessage wire;
};

/// What became of one published message.
enum class PublishResult {
    /// The broker took responsibility (basic.ack) and the message was routed to a queue.
    Confirmed,
    /// Permanent for this message as it stands: no queue is bound for its routing key
    /// (basic.return, then ack), its exchange does not exist, or it cannot be encoded (a
    /// header value outside its kind's range, a name over 255 bytes, headers above
    /// frame_max). Retry in place with backoff, then move to the failed table.
    Unroutable,
    /// The broker refused it (basic.nack: queue overflow with reject-publish, internal
    /// error). Transient: republish.
    Nacked,
    /// Unknown: the channel or connection failed, or no confirm came in time. The broker may
    /// or may not have it; republish (consumers dedupe by message id: at-least-once).
    NotConfirmed,
};

/// The outcome of one OutgoingMessage; error explains every result but Confirmed.
struct PublishOutcome {
    std::uint64_t token = 0;
    PublishResult result = PublishResult::NotConfirmed;
    std::string error;
    /// NotConfirmed because the broker closed the channel while the message was unconfirmed,
    /// with this reply code (403 ACCESS_REFUSED, 406 PRECONDITION_FAILED for a message over
    /// max_message_size, ...): the message itself may be what the broker refused, or another
    /// one of the same channel. 0 otherwise.
    std::uint16_t channelReplyCode = 0;
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
                                             std::chrono::milliseconds confirmTimeout);

    /// A batch handed to submit(), until await() collected it.
    using BatchId = std::uint64_t;

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
    /// awaited in any order.
    std::vector<PublishOutcome> await(BatchId id);

    /// Reads the confirms that have already arrived, without blocking; true when the batch is
    /// settled (await() then returns at once).
    bool poll(BatchId id);

    /// Batches submitted and not awaited yet.
    std::size_t batchesInFlight() const noexcept { return _batches.size(); }

    /// True while a connection exists and is usable.
    bool isConnected() const noexcept;
    /// The node of the current connection ("host:port vhost '/'"), "" without one.
    std::string endpoint() const { return _connection ? _connection->endpoint() : std::string(); }

    /// Closes the connection politely; batches still in flight end NotConfirmed. The next
    /// submit reconnects.
    void close() noexcept;

    /// Services heartbeats while idle; call more often than heartbeat/2 between batches (the
    /// relay's poll loop). Never connects. A connection failure is logged and the connection
    /// dropped (the next publishBatch reconnects); nothing is thrown.
    void keepAlive() noexcept;

    /// How many connections this publisher has opened (1 after the first batch): a metric.
    std::uint64_t connectCount() const noexcept { return _connectCount; }

private:
    struct Batch;
    /// Where a published, unconfirmed message is: its batch and index there.
    struct InFlight {
        Batch* batch;
        std::size_t index;
    };

    Batch& batchOf(BatchId id);
    void forget(BatchId id) noexcept;
    void ensureConnected();
    void ensureChannelReady();
    void checkExchanges(Batch& batch);
    void publishOne(Batch& batch, std::size_t index);
    bool waitForConfirms(std::size_t target, bool untilUnblocked,
                         std::chrono::steady_clock::time_point deadline);
    bool waitForBatch(const Batch& batch, std::chrono::steady_clock::time_point deadline);
    void readFrame(const timeval* timeout);
    void readArrived();
    void catchUp(const char* what) noexcept;
    void handleFrame(const amqp_frame_t& frame);
    void handleReturn(const amqp_frame_t& frame);
    void settle(std::uint64_t deliveryTag, bool multiple, bool ack);
    void forgetKey(const InFlight& message);
    void handleFailure(const AmqpError& e);
    void failInFlight(const std::string& reason, std::uint16_t channelReplyCode = 0) noexcept;
    void teardown() noexcept;

    AmqpNodes _nodes;
    Options _options;
    std::unique_ptr<AmqpConnection> _connection;
    /// The channel generation confirm.select was sent on; confirm mode dies with the channel.
    std::uint64_t _confirmGeneration = 0;
    /// The last delivery tag used on the current confirm channel (tags start at 1 per channel).
    std::uint64_t _lastDeliveryTag = 0;
    /// Exchanges known to exist on the current connection.
    std::unordered_set<std::string> _knownExchanges;
    std::uint64_t _connectCount = 0;
    /// Submitted and not yet awaited, oldest first.
    std::deque<std::unique_ptr<Batch>> _batches;
    BatchId _nextBatchId = 1;
    /// Delivery tag -> message, for every published message not yet confirmed.
    std::map<std::uint64_t, InFlight> _unconfirmed;
    /// Correlation key -> unconfirmed messages, for matching basic.return.
    std::unordered_map<std::string, std::vector<InFlight>> _inFlightByKey;
    Poco::Logger& _logger;
};

} // namespace msgbus::core::amqp
