#include "core/amqp/AmqpPublisher.h"

#include "core/amqp/AmqpError.h"
#include "core/amqp/AmqpMessageEncoder.h"
#include "core/amqp/BasicReturn.h"

#include <msgbus/Error.h>

#include <Poco/Logger.h>

#include <amqp_framing.h>

#include <sys/time.h>

#include <functional>
#include <map>
#include <set>

namespace msgbus::core::amqp {

namespace {

using Clock = std::chrono::steady_clock;

// Header frames cannot be split: leave room for the frame envelope (type, channel, size, end).
constexpr std::size_t kFrameOverhead = 8;

} // namespace

AmqpPublisher::AmqpPublisher(AmqpNodes nodes) : AmqpPublisher(std::move(nodes), Options{}) {}

AmqpPublisher::AmqpPublisher(AmqpNodes nodes, Options options)
    : _nodes(std::move(nodes)), _options(std::move(options)),
      _logger(Poco::Logger::get("msgbus.amqp.publisher")) {
    if (_options.confirmWindow == 0)
        throw InvalidArgument("AmqpPublisher: confirmWindow must be at least 1");
}

AmqpPublisher::~AmqpPublisher() {
    close();
}

bool AmqpPublisher::isConnected() const noexcept {
    return _connection && _connection->isUsable();
}

void AmqpPublisher::close() noexcept {
    dropConnection("the publisher was closed before the broker confirmed");
}

void AmqpPublisher::teardown() noexcept {
    if (_connection)
        _connection->markBroken(); // no polite close: it could only wait in vain
    dropConnection("the connection was torn down before the broker confirmed");
}

void AmqpPublisher::dropConnection(const char* reason) noexcept {
    _tracker.failUnconfirmed(reason);
    _connection.reset();
    _knownExchanges.clear();
}

void AmqpPublisher::readArrived() {
    // Whatever the socket already holds, without waiting. With messages in flight this must go
    // through handleFrame: a confirm read and dropped here would never settle its message.
    while (readFrame(timeval{0, 0}, "reading publisher confirms")) {
    }
}

void AmqpPublisher::keepAlive() noexcept {
    if (_connection)
        catchUp("AMQP publisher idle check");
}

void AmqpPublisher::catchUp(const char* what) noexcept {
    // Reads what arrived while the caller was busy elsewhere: heartbeats, a connection.close
    // from an operator or a node shutdown, a channel.close, confirms. A dead connection is then
    // replaced before the next batch instead of failing it; a closed channel is reopened by the
    // next submit.
    try {
        if (_tracker.unconfirmedCount() == 0)
            _connection->serviceHeartbeats();
        else
            readArrived();
    } catch (const AmqpError& e) {
        _logger.warning("%s: %s", std::string(what), std::string(e.what()));
        _tracker.failUnconfirmed(e.what(), e.connectionLost() ? 0 : e.replyCode());
        if (e.connectionLost())
            teardown();
    } catch (const std::exception& e) {
        _logger.error("%s: %s", std::string(what), std::string(e.what()));
        teardown();
    } catch (...) {
        teardown();
    }
}

void AmqpPublisher::ensureConnected() {
    if (_connection)
        catchUp("AMQP publisher");
    if (_connection && !_connection->isUsable())
        teardown();
    if (!_connection) {
        _connection = connectToNextNode(_nodes, _options.connection);
        if (_nodes.size() > 1 || _connectCount > 0)
            _logger.information("AMQP publisher '%s' connected to %s",
                                _options.connection.connectionName, _connection->endpoint());
        ++_connectCount;
        _knownExchanges.clear();
        _confirmGeneration = 0;
    }
    try {
        ensureChannelReady();
    } catch (const AmqpError&) {
        teardown();
        throw;
    }
}

void AmqpPublisher::ensureChannelReady() {
    if (_connection->channelOpen() && _confirmGeneration == _connection->channelGeneration())
        return;
    // A new channel: whatever was published on the old one will never be confirmed, and the
    // broker numbers the new channel's messages from 1 again.
    _tracker.restartChannel(_connection->context("channel") +
                            ": the channel closed before the broker confirmed");
    if (!_connection->channelOpen())
        _connection->reopenChannel();
    amqp_confirm_select(_connection->state(), _connection->channel());
    _connection->checkRpcReply("confirm.select");
    _confirmGeneration = _connection->channelGeneration();
}

AmqpPublisher::BatchId AmqpPublisher::submit(std::vector<OutgoingMessage> messages,
                                             std::chrono::milliseconds confirmTimeout) {
    std::vector<std::uint64_t> tokens;
    tokens.reserve(messages.size());
    for (const OutgoingMessage& m : messages)
        tokens.push_back(m.token);
    const BatchId id = _tracker.addBatch(tokens);
    Batch& batch = _batches[id];
    batch.messages = std::move(messages);
    batch.confirmTimeout = confirmTimeout;
    batch.deadline = Clock::now() + confirmTimeout;
    if (batch.messages.empty())
        return id;

    try {
        ensureConnected(); // unreachable broker: throws, nothing published, the caller backs off
    } catch (...) {
        discard(id);
        throw;
    }
    try {
        publishAll(id, batch);
    } catch (const AmqpError& e) {
        handleFailure(e);
        _tracker.failUnsettled(id, e.what()); // the messages not published yet
    } catch (...) {
        // Unexpected (out of memory, ...): acks still in flight would be matched to the wrong
        // messages later, so the connection goes too.
        teardown();
        discard(id);
        throw;
    }
    return id;
}

void AmqpPublisher::publishAll(BatchId id, const Batch& batch) {
    checkExchanges(id, batch);
    const std::size_t window = _options.confirmWindow;
    for (std::size_t i = 0; i < batch.messages.size(); ++i) {
        if (_tracker.isSettled(id, i))
            continue;
        if (_tracker.unconfirmedCount() >= window || _connection->blocked()) {
            auto halfFree = [&] {
                return _tracker.unconfirmedCount() <= window / 2 && !_connection->blocked();
            };
            if (!readUntil(halfFree, batch.deadline))
                return; // await() reports the rest as not confirmed in time
        }
        publishOne(id, batch, i);
    }
}

std::vector<PublishOutcome> AmqpPublisher::await(BatchId id) {
    auto found = _batches.find(id);
    if (found == _batches.end())
        throw InvalidArgument("AmqpPublisher: batch " + std::to_string(id) +
                              " is not in flight (awaited twice?)");
    const Batch& batch = found->second;
    if (_tracker.unsettledCount(id) > 0) {
        bool inTime = false;
        try {
            inTime = _connection &&
                     readUntil([&] { return _tracker.unsettledCount(id) == 0; }, batch.deadline);
        } catch (const AmqpError& e) {
            handleFailure(e);
            _tracker.failUnsettled(id, e.what()); // published ones are settled by handleFailure
            inTime = true;
        } catch (...) {
            teardown();
            discard(id);
            throw;
        }
        if (!inTime)
            settleOverdue(id, batch);
    }
    std::vector<PublishOutcome> outcomes = _tracker.take(id);
    _batches.erase(found);
    return outcomes;
}

void AmqpPublisher::settleOverdue(BatchId id, const Batch& batch) {
    if (_tracker.unsettledCount(id) == 0)
        return;
    if (!_connection) {
        _tracker.failUnsettled(id, "publish: the connection was lost before these were published");
        return;
    }
    std::string reason = _connection->context("publish") + ": no publisher confirm within " +
                         std::to_string(batch.confirmTimeout.count()) + " ms" +
                         (_connection->blocked() ? " (the broker blocked publishing)" : "");
    _logger.warning("%s; tearing the connection down", reason);
    // A late ack could otherwise be matched to the wrong message.
    _tracker.failUnsettled(id, reason);
    teardown();
}

void AmqpPublisher::discard(BatchId id) noexcept {
    if (_tracker.hasBatch(id))
        _tracker.take(id);
    _batches.erase(id);
}

void AmqpPublisher::handleFailure(const AmqpError& e) {
    if (e.connectionLost()) {
        _logger.warning("AMQP publisher lost its connection: %s", std::string(e.what()));
        _tracker.failUnconfirmed(e.what());
        teardown();
        return;
    }
    // Only the channel died, and with it every unconfirmed message on it. The exchange cache
    // may be what misled us (an exchange deleted since it was checked), so check again on the
    // fresh channel. The reply code goes with the outcomes: the broker may have refused one of
    // these messages (no write permission, too large), which only publishing them one by one
    // can tell.
    _tracker.failUnconfirmed(e.what(), e.replyCode());
    _knownExchanges.clear();
    try {
        ensureChannelReady();
    } catch (const AmqpError& again) {
        _logger.warning("AMQP publisher cannot reopen its channel: %s", std::string(again.what()));
        teardown();
    }
}

void AmqpPublisher::checkExchanges(BatchId id, const Batch& batch) {
    std::set<std::string> toCheck;
    for (std::size_t i = 0; i < batch.messages.size(); ++i) {
        const OutgoingMessage& m = batch.messages[i];
        if (m.exchange.size() > 255 || m.routingKey.size() > 255) {
            _tracker.settle(id, i, PublishResult::Unroutable,
                            "exchange name or routing key longer than 255 bytes (exchange '" +
                                m.exchange.substr(0, 64) + "...')");
            continue;
        }
        if (!m.exchange.empty() && !_knownExchanges.contains(m.exchange))
            toCheck.insert(m.exchange);
    }
    if (toCheck.empty())
        return;
    if (_tracker.unconfirmedCount() > 0) {
        // A passive declare that finds no exchange closes the channel, and rabbitmq-c keeps
        // the frames that arrive during an RPC for later: acks of earlier batches would then be
        // read after the channel was reopened and its delivery tags restarted, and settle the
        // wrong messages. So the earlier batches are confirmed first (once per exchange and
        // connection, so rarely).
        if (!readUntil([&] { return _tracker.unconfirmedCount() == 0; }, batch.deadline))
            throw AmqpError(_connection->context("publish") +
                                ": earlier batches were not confirmed in time before checking "
                                "an exchange",
                            true);
    }
    // A refusal closes the channel and confirm mode with it; ensureChannelReady brings both back
    // (nothing is unconfirmed by now, so no confirm is lost).
    const std::map<std::string, std::string> missing =
        _knownExchanges.check(*_connection, toCheck, [this] { ensureChannelReady(); });
    for (std::size_t i = 0; i < batch.messages.size(); ++i) {
        auto it = missing.find(batch.messages[i].exchange);
        if (it != missing.end())
            _tracker.settle(id, i, PublishResult::Unroutable,
                            "exchange '" + it->first + "' does not exist or may not be used (" +
                                it->second + ")");
    }
}

void AmqpPublisher::publishOne(BatchId id, const Batch& batch, std::size_t index) {
    const OutgoingMessage& m = batch.messages[index];
    std::unique_ptr<AmqpMessageEncoder> encoder;
    try {
        encoder = std::make_unique<AmqpMessageEncoder>(m.wire);
    } catch (const InvalidArgument& e) {
        _tracker.settle(id, index, PublishResult::Unroutable,
                        std::string("cannot encode: ") + e.what());
        return;
    }
    const auto frameMax = static_cast<std::size_t>(amqp_get_frame_max(_connection->state()));
    if (encoder->headerFrameSize() + kFrameOverhead > frameMax) {
        _tracker.settle(id, index, PublishResult::Unroutable,
                        "cannot encode: properties and headers take " +
                            std::to_string(encoder->headerFrameSize()) +
                            " bytes, more than the negotiated frame_max " +
                            std::to_string(frameMax));
        return;
    }
    int status = amqp_basic_publish(_connection->state(), _connection->channel(),
                                    amqpBytes(m.exchange), amqpBytes(m.routingKey),
                                    /*mandatory*/ 1, /*immediate*/ 0, encoder->properties(),
                                    encoder->body());
    // Only the local write is reported here; routing, 404s and acks arrive asynchronously.
    _connection->checkStatus(status, "basic.publish to exchange '" + m.exchange + "'");
    _tracker.published(id, index, correlationKey(m.wire));
}

bool AmqpPublisher::readUntil(const std::function<bool()>& done, Clock::time_point deadline) {
    while (!done()) {
        if (Clock::now() >= deadline)
            return false;
        readFrame(timeUntil(deadline), "waiting for publisher confirms");
    }
    return true;
}

bool AmqpPublisher::readFrame(timeval timeout, const char* what) {
    amqp_frame_t frame{};
    int status = amqp_simple_wait_frame_noblock(_connection->state(), &frame, &timeout);
    if (status == AMQP_STATUS_TIMEOUT)
        return false;
    _connection->checkStatus(status, what);
    handleFrame(frame);
    amqp_maybe_release_buffers(_connection->state());
    return true;
}

void AmqpPublisher::handleFrame(const amqp_frame_t& frame) {
    if (frame.frame_type != AMQP_FRAME_METHOD) {
        _logger.warning("AMQP publisher: ignored a stray frame of type %d on channel %d",
                        static_cast<int>(frame.frame_type), static_cast<int>(frame.channel));
        return;
    }
    switch (frame.payload.method.id) {
    case AMQP_BASIC_ACK_METHOD: {
        const auto* ack = static_cast<const amqp_basic_ack_t*>(frame.payload.method.decoded);
        _tracker.acked(ack->delivery_tag, ack->multiple != 0);
        return;
    }
    case AMQP_BASIC_NACK_METHOD: {
        const auto* nack = static_cast<const amqp_basic_nack_t*>(frame.payload.method.decoded);
        _tracker.nacked(nack->delivery_tag, nack->multiple != 0,
                        _connection->context("publish") +
                            ": the broker nacked the message (basic.nack)");
        return;
    }
    case AMQP_BASIC_RETURN_METHOD: {
        const BasicReturn returned = readBasicReturn(*_connection, frame);
        if (!_tracker.returned(returned.correlationKey, returned.error))
            _logger.warning("AMQP publisher: cannot match a basic.return (%s) to a message in "
                            "flight (message id '%s'); it will be reported as confirmed",
                            returned.error, returned.correlationKey);
        return;
    }
    default:
        if (!_connection->handleAsyncMethod(frame))
            _logger.debug("AMQP publisher: ignored method 0x%08x",
                          static_cast<unsigned>(frame.payload.method.id));
    }
}

} // namespace msgbus::core::amqp
