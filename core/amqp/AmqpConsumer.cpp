#include "core/amqp/AmqpConsumer.h"

#include "core/amqp/AmqpError.h"
#include "core/amqp/AmqpMessageDecoder.h"

#include "core/util/ErrorText.h"

#include <msgbus/Error.h>

#include <Poco/Logger.h>

#include <amqp_framing.h>

#include <poll.h>
#include <sys/time.h>

namespace msgbus::core::amqp {

namespace {

using Clock = std::chrono::steady_clock;

// Destroys the envelope whatever happens while copying out of it.
class EnvelopeGuard {
public:
    explicit EnvelopeGuard(amqp_envelope_t& envelope) : _envelope(envelope) {}
    ~EnvelopeGuard() { amqp_destroy_envelope(&_envelope); }
    EnvelopeGuard(const EnvelopeGuard&) = delete;
    EnvelopeGuard& operator=(const EnvelopeGuard&) = delete;

private:
    amqp_envelope_t& _envelope;
};

// What a delivery says about earlier deliveries of the same message (quorum queues only).
std::optional<std::int64_t> deliveryCountOf(const WireMessage& wire) {
    const FieldValue* count = wire.header("x-delivery-count");
    if (count && count->isInteger())
        return count->integer;
    return std::nullopt;
}

// Copies the message out of rabbitmq-c's buffers. Whatever fails here (headers nested too
// deep, no memory for a huge body) must not lose the delivery: it is still returned, with
// what could be copied and the reason, so that it is settled as a failed row.
void copyMessage(const amqp_message_t& message, Delivery& delivery) {
    try {
        delivery.wire = AmqpMessageDecoder::decode(message.properties, message.body);
        delivery.deliveryCount = deliveryCountOf(delivery.wire);
        return;
    } catch (const std::exception& e) {
        delivery.decodeError = "the delivery could not be decoded: " + errorText(e);
    }
    delivery.wire = WireMessage{};
    try {
        delivery.wire.properties = AmqpMessageDecoder::decodeProperties(message.properties);
    } catch (const std::exception&) {
    }
    try {
        delivery.wire.body = toStdString(message.body);
    } catch (const std::exception&) {
        *delivery.decodeError +=
            "; the body (" + std::to_string(message.body.len) + " bytes) could not be copied";
    }
}

} // namespace

AmqpConsumer::AmqpConsumer(AmqpNodes nodes, Options options)
    : _nodes(std::move(nodes)), _options(std::move(options)),
      _logger(Poco::Logger::get("msgbus.amqp.consumer")) {
    if (_options.queue.empty())
        throw InvalidArgument("AmqpConsumer: the queue name is empty");
    if (_options.prefetch == 0)
        throw InvalidArgument("AmqpConsumer: prefetch 0 means unlimited; give a limit for queue '" +
                              _options.queue + "'");
}

AmqpConsumer::~AmqpConsumer() {
    close();
}

bool AmqpConsumer::isConnected() const noexcept {
    return _connection && _connection->isUsable();
}

void AmqpConsumer::close() noexcept {
    _connection.reset();
}

void AmqpConsumer::connect() {
    close();
    AmqpConnection::Options options;
    options.heartbeatSeconds = _options.heartbeatSeconds;
    options.connectTimeout = _options.connectTimeout;
    options.rpcTimeout = _options.rpcTimeout;
    options.connectionName = _options.connectionName.empty() ? "msgbus consumer " + _options.queue
                                                             : _options.connectionName;
    auto connection = connectToNextNode(_nodes, options);
    amqp_connection_state_t state = connection->state();

    amqp_basic_qos(state, connection->channel(), 0, _options.prefetch, /*global*/ 0);
    connection->checkRpcReply("basic.qos prefetch " + std::to_string(_options.prefetch));

    amqp_bytes_t tag =
        _options.consumerTag.empty() ? amqp_empty_bytes : amqpBytes(_options.consumerTag);
    amqp_basic_consume_ok_t* ok =
        amqp_basic_consume(state, connection->channel(), amqpBytes(_options.queue), tag,
                           /*no_local*/ 0, /*no_ack*/ 0, /*exclusive*/ 0, amqp_empty_table);
    connection->checkRpcReply("basic.consume on queue '" + _options.queue + "'");
    _consumerTag = ok ? toStdString(ok->consumer_tag) : _options.consumerTag;

    _connection = std::move(connection);
    ++_epoch;
    _logger.information("AMQP consuming queue '%s' on %s as '%s' (prefetch %d, epoch %s)",
                        _options.queue, _connection->endpoint(), _consumerTag,
                        static_cast<int>(_options.prefetch), std::to_string(_epoch));
}

void AmqpConsumer::requireConnected(const char* what) const {
    if (!isConnected())
        throw AmqpError(std::string("AMQP ") + what + " on queue '" + _options.queue +
                            "': the consumer is not connected (call connect())",
                        true);
}

void AmqpConsumer::fail(const std::string& message, std::uint16_t replyCode, int status) {
    if (_connection)
        _connection->markBroken();
    _connection.reset();
    throw AmqpError(message, true, replyCode, status);
}

std::optional<Delivery> AmqpConsumer::nextOrWake(std::chrono::milliseconds timeout, int wakeFd,
                                                 const std::function<void(bool)>& waiting) {
    requireConnected("consume");
    amqp_connection_state_t state = _connection->state();
    // rabbitmq-c may hold whole frames or bytes it already read: then there is no waiting.
    if (!amqp_frames_enqueued(state) && !amqp_data_in_buffer(state)) {
        pollfd fds[2] = {{amqp_get_sockfd(state), POLLIN, 0}, {wakeFd, POLLIN, 0}};
        // An interrupted or failed poll only ends the wait early: next() finds out what is up.
        // The first look does not wait: only a socket with nothing to read is a real wait.
        if (!waiting || ::poll(fds, 2, 0) == 0) {
            if (waiting)
                waiting(true);
            ::poll(fds, 2, static_cast<int>(timeout.count()));
            if (waiting)
                waiting(false);
        }
    }
    // Also after a wait that timed out: rabbitmq-c sends heartbeats only from inside its calls.
    return next(std::chrono::milliseconds(0));
}

std::optional<Delivery> AmqpConsumer::next(std::chrono::milliseconds timeout) {
    requireConnected("consume");
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        amqp_connection_state_t state = _connection->state();
        // Releases the previous envelope's and frames' memory; safe only now that nothing
        // from them is referenced.
        amqp_maybe_release_buffers(state);
        timeval wait = timeUntil(deadline);
        amqp_envelope_t envelope{};
        amqp_rpc_reply_t reply = amqp_consume_message(state, &envelope, &wait, 0);
        if (reply.reply_type == AMQP_RESPONSE_NORMAL) {
            EnvelopeGuard guard(envelope);
            Delivery delivery;
            delivery.deliveryTag = envelope.delivery_tag;
            delivery.receivedAt = std::chrono::steady_clock::now();
            delivery.connectionEpoch = _epoch;
            delivery.exchange = toStdString(envelope.exchange);
            delivery.routingKey = toStdString(envelope.routing_key);
            delivery.redelivered = envelope.redelivered != 0;
            copyMessage(envelope.message, delivery);
            return delivery;
        }
        if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
            reply.library_error == AMQP_STATUS_TIMEOUT)
            return std::nullopt;
        if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
            reply.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
            // Something other than basic.deliver is next; rabbitmq-c put the frame back.
            handleNonDelivery();
            if (Clock::now() >= deadline)
                return std::nullopt;
            continue;
        }
        int status = reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION ? reply.library_error : 0;
        fail(_connection->context("consume from queue '" + _options.queue + "'") + ": " +
                 (status ? amqp_error_string2(status) : "unexpected reply"),
             0, status);
    }
}

void AmqpConsumer::handleNonDelivery() {
    amqp_connection_state_t state = _connection->state();
    timeval wait{1, 0}; // the frame is already queued; the timeout is only a safety net
    amqp_frame_t frame{};
    int status = amqp_simple_wait_frame_noblock(state, &frame, &wait);
    if (status != AMQP_STATUS_OK)
        fail(_connection->context("consume from queue '" + _options.queue + "'") + ": " +
                 amqp_error_string2(status),
             0, status);
    if (frame.frame_type != AMQP_FRAME_METHOD) {
        _logger.warning("AMQP consumer on queue '%s': ignored a stray frame of type %d",
                        _options.queue, static_cast<int>(frame.frame_type));
        return;
    }
    switch (frame.payload.method.id) {
    case AMQP_BASIC_ACK_METHOD:
    case AMQP_BASIC_NACK_METHOD:
        return; // only with confirms, which a consumer channel never enables
    case AMQP_BASIC_RETURN_METHOD: {
        // Content frames follow and must be consumed (examples/amqp_consumer.c).
        amqp_message_t message{};
        amqp_rpc_reply_t reply = amqp_read_message(state, frame.channel, &message, 0);
        if (reply.reply_type != AMQP_RESPONSE_NORMAL)
            fail(_connection->context("reading a basic.return") + ": " +
                     amqp_error_string2(reply.library_error),
                 0, reply.library_error);
        amqp_destroy_message(&message);
        return;
    }
    case AMQP_BASIC_CANCEL_METHOD: {
        const auto* cancel = static_cast<const amqp_basic_cancel_t*>(frame.payload.method.decoded);
        std::string tag = toStdString(cancel->consumer_tag);
        _logger.warning("AMQP consumer '%s' on queue '%s' was cancelled by the broker", tag,
                        _options.queue);
        fail(_connection->context("consume from queue '" + _options.queue + "'") +
                 ": the broker cancelled consumer '" + tag +
                 "' (queue deleted or its node went down); reconnect",
             0, 0);
    }
    default:
        try {
            if (!_connection->handleAsyncMethod(frame))
                _logger.debug("AMQP consumer: ignored method 0x%08x",
                              static_cast<unsigned>(frame.payload.method.id));
        } catch (const AmqpError& e) {
            // channel.close or connection.close: either way this consumer is gone; rebuild.
            fail(std::string(e.what()) + "; reconnect", e.replyCode(), e.libraryStatus());
        }
    }
}

bool AmqpConsumer::ack(std::uint64_t deliveryTag, bool multiple, std::uint64_t epoch) {
    if (!isConnected() || epoch != _epoch)
        return false;
    int status =
        amqp_basic_ack(_connection->state(), _connection->channel(), deliveryTag, multiple ? 1 : 0);
    if (status != AMQP_STATUS_OK)
        fail(_connection->context("basic.ack on queue '" + _options.queue + "'") + ": " +
                 amqp_error_string2(status),
             0, status);
    return true;
}

bool AmqpConsumer::nack(std::uint64_t deliveryTag, bool multiple, bool requeue,
                        std::uint64_t epoch) {
    if (!isConnected() || epoch != _epoch)
        return false;
    int status = amqp_basic_nack(_connection->state(), _connection->channel(), deliveryTag,
                                 multiple ? 1 : 0, requeue ? 1 : 0);
    if (status != AMQP_STATUS_OK)
        fail(_connection->context("basic.nack on queue '" + _options.queue + "'") + ": " +
                 amqp_error_string2(status),
             0, status);
    return true;
}

} // namespace msgbus::core::amqp
