#pragma once

#include "core/amqp/AmqpConnection.h"
#include "core/amqp/AmqpUrl.h"
#include "core/amqp/Delivery.h"

#include <msgbus/WireMessage.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace Poco {
class Logger;
}

namespace msgbus::core::amqp {

/// Consumes one queue with manual acks and a prefetch limit: the AMQP half of an inbox
/// consumer.
///
/// Threading: one per consumer thread; it owns its connection. No method is thread-safe, and
/// ack()/nack() must be called on the thread that calls next().
///
/// Connection epochs: each connect() starts a new epoch. Delivery tags die with their
/// channel, so ack()/nack() with a Delivery from an older epoch do nothing (the broker has
/// already requeued it and will redeliver it): an old tag must never ack a new delivery that
/// happens to carry the same number.
///
/// Heartbeats: rabbitmq-c services them only inside the library, i.e. inside next(). Work
/// done between two next() calls (a handler, a commit) must stay well below 2 x
/// heartbeatSeconds, or the broker drops the connection and the deliveries are redelivered.
///
/// Failure: every connection-level problem (socket error, heartbeat timeout,
/// connection.close, channel.close, basic.cancel from the broker because the queue was
/// deleted) destroys the connection and throws AmqpError with connectionLost() == true; the
/// caller backs off and calls connect() again. Unacked deliveries go back to the queue.
class AmqpConsumer {
public:
    struct Options {
        std::string queue;
        /// basic.qos prefetch count per consumer (global=0): most unacked deliveries at once.
        std::uint16_t prefetch = 200;
        int heartbeatSeconds = 30;
        /// Empty: the broker generates one.
        std::string consumerTag;
        /// Shown in the management UI; defaults to "msgbus consumer <queue>".
        std::string connectionName;
        std::chrono::milliseconds connectTimeout{5000};
        std::chrono::milliseconds rpcTimeout{30000};
    };

    AmqpConsumer(AmqpNodes nodes, Options options);
    ~AmqpConsumer();

    AmqpConsumer(const AmqpConsumer&) = delete;
    AmqpConsumer& operator=(const AmqpConsumer&) = delete;

    /// (Re)connects: a new connection and epoch, basic.qos(prefetch, global=0), basic.consume
    /// (no_ack=0). Closes a previous connection first. Throws AmqpError: connectionLost for an
    /// unreachable broker, the broker's code and text (404 NOT_FOUND when the queue is
    /// missing, 403 without permission) otherwise; no connection is kept either way.
    void connect();

    /// The next delivery, or nullopt when none arrives within timeout (normal idling; it
    /// services heartbeats). Throws AmqpError (connectionLost) when not connected or when the
    /// connection fails; see the class comment.
    std::optional<Delivery> next(std::chrono::milliseconds timeout);

    /// Like next(timeout), but the wait also ends when wakeFd becomes readable (the caller has
    /// other work for this thread, such as acks to send); the caller drains wakeFd. When
    /// nothing at all is buffered or readable, waiting(true) is called before the wait and
    /// waiting(false) after it: the caller learns that the broker has sent nothing more yet.
    std::optional<Delivery> nextOrWake(std::chrono::milliseconds timeout, int wakeFd,
                                       const std::function<void(bool)>& waiting = {});

    /// basic.ack of a delivery of epoch. Returns false, doing nothing, when epoch is not the
    /// current connection's (or there is none). Throws AmqpError (connectionLost) when the
    /// ack cannot be written.
    bool ack(std::uint64_t deliveryTag, bool multiple, std::uint64_t epoch);

    /// basic.nack; requeue=true puts it back for redelivery (transient failures only: a
    /// poison message requeued loops forever). Same epoch rule and failures as ack().
    bool nack(std::uint64_t deliveryTag, bool multiple, bool requeue, std::uint64_t epoch);

    bool isConnected() const noexcept;
    /// The node of the current connection ("host:port vhost '/'"), "" without one.
    std::string endpoint() const { return _connection ? _connection->endpoint() : std::string(); }

    /// Closes the connection; unacked deliveries are requeued by the broker.
    void close() noexcept;

    /// The current connection's epoch (0 before the first connect()).
    std::uint64_t epoch() const noexcept { return _epoch; }
    /// The consumer tag in use (the broker's when Options::consumerTag was empty).
    const std::string& consumerTag() const noexcept { return _consumerTag; }
    const std::string& queue() const noexcept { return _options.queue; }

private:
    void handleNonDelivery();
    [[noreturn]] void fail(const std::string& message, std::uint16_t replyCode, int status);
    void requireConnected(const char* what) const;

    AmqpNodes _nodes;
    Options _options;
    std::unique_ptr<AmqpConnection> _connection;
    std::uint64_t _epoch = 0;
    std::string _consumerTag;
    Poco::Logger& _logger;
};

} // namespace msgbus::core::amqp
