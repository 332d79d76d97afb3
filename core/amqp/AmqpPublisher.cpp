#include "core/amqp/AmqpPublisher.h"

#include "core/amqp/AmqpError.h"
#include "core/amqp/AmqpMessageEncoder.h"

#include <msgbus/Error.h>

#include <Poco/Logger.h>

#include <amqp_framing.h>

#include <sys/time.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

namespace msgbus::core::amqp {

namespace {

using Clock = std::chrono::steady_clock;

// Header frames cannot be split: leave room for the frame envelope (type, channel, size, end).
constexpr std::size_t kFrameOverhead = 8;

timeval remainingUntil(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
    if (left.count() < 0)
        left = std::chrono::microseconds(0);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(left.count() / 1000000);
    tv.tv_usec = static_cast<suseconds_t>(left.count() % 1000000);
    return tv;
}

// The id a basic.return is matched by: the message_id property, else the x-message-id header.
std::string correlationKey(const WireMessage& wire) {
    if (wire.properties.messageId)
        return *wire.properties.messageId;
    if (const FieldValue* id = wire.header("x-message-id"); id && !id->text.empty())
        return id->text;
    return {};
}

std::string correlationKey(const amqp_basic_properties_t& p) {
    if (p._flags & AMQP_BASIC_MESSAGE_ID_FLAG)
        return toStdString(p.message_id);
    if (p._flags & AMQP_BASIC_HEADERS_FLAG) {
        for (int i = 0; i < p.headers.num_entries; ++i) {
            const amqp_table_entry_t& entry = p.headers.entries[i];
            if (toStdString(entry.key) == "x-message-id" &&
                (entry.value.kind == AMQP_FIELD_KIND_UTF8 ||
                 entry.value.kind == AMQP_FIELD_KIND_BYTES))
                return toStdString(entry.value.value.bytes);
        }
    }
    return {};
}

} // namespace

/// The bookkeeping of one publishBatch call.
struct AmqpPublisher::Batch {
    const std::vector<OutgoingMessage>& messages;
    std::vector<PublishOutcome>& outcomes;
    /// An outcome is final (published and confirmed/nacked, or never to be published).
    std::vector<char> settled;
    /// A basic.return named the message; its ack will then mean Unroutable.
    std::vector<char> returned;
    /// Delivery tag -> message index, for the messages published and not yet confirmed.
    std::map<std::uint64_t, std::size_t> unconfirmed;
    /// Correlation key -> indexes of unconfirmed messages, for matching basic.return.
    std::unordered_map<std::string, std::vector<std::size_t>> inFlightByKey;

    void finish(std::size_t index, PublishResult result, std::string error) {
        outcomes[index].result = result;
        outcomes[index].error = std::move(error);
        settled[index] = 1;
    }

    void forgetKey(std::size_t index) {
        auto it = inFlightByKey.find(correlationKey(messages[index].wire));
        if (it == inFlightByKey.end())
            return;
        auto& indexes = it->second;
        indexes.erase(std::remove(indexes.begin(), indexes.end(), index), indexes.end());
        if (indexes.empty())
            inFlightByKey.erase(it);
    }

    /// Everything not settled becomes NotConfirmed with reason, except messages the broker
    /// already returned: those were certainly not routed.
    void failUnsettled(const std::string& reason) {
        for (std::size_t i = 0; i < messages.size(); ++i) {
            if (settled[i])
                continue;
            if (returned[i])
                finish(i, PublishResult::Unroutable, outcomes[i].error);
            else
                finish(i, PublishResult::NotConfirmed, reason);
        }
        unconfirmed.clear();
        inFlightByKey.clear();
    }
};

AmqpPublisher::AmqpPublisher(AmqpUrl url) : AmqpPublisher(std::move(url), Options{}) {}

AmqpPublisher::AmqpPublisher(AmqpUrl url, Options options)
    : _url(std::move(url)), _options(std::move(options)),
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
    _connection.reset();
    _knownExchanges.clear();
}

void AmqpPublisher::teardown() noexcept {
    if (_connection)
        _connection->markBroken();
    _connection.reset();
    _knownExchanges.clear();
}

void AmqpPublisher::keepAlive() noexcept {
    if (!_connection)
        return;
    try {
        _connection->serviceHeartbeats();
    } catch (const AmqpError& e) {
        // A closed channel is reopened by the next publishBatch; a lost connection recreated.
        _logger.warning("AMQP publisher idle check: %s", std::string(e.what()));
        if (e.connectionLost())
            teardown();
    } catch (const std::exception& e) {
        _logger.error("AMQP publisher idle check: %s", std::string(e.what()));
        teardown();
    } catch (...) {
        teardown();
    }
}

void AmqpPublisher::ensureConnected() {
    if (_connection) {
        // Whatever happened while idle (a connection.close from an operator or a node
        // shutdown, a channel.close) is still unread: read it now, so that a dead connection
        // is replaced before the batch instead of failing it.
        try {
            _connection->serviceHeartbeats();
        } catch (const AmqpError& e) {
            _logger.warning("AMQP publisher: %s", std::string(e.what()));
            if (e.connectionLost())
                teardown();
        }
    }
    if (_connection && !_connection->isUsable())
        teardown();
    if (!_connection) {
        _connection = std::make_unique<AmqpConnection>(_url, _options.connection);
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
    if (!_connection->channelOpen())
        _connection->reopenChannel();
    if (_confirmGeneration == _connection->channelGeneration())
        return;
    amqp_confirm_select(_connection->state(), _connection->channel());
    _connection->checkRpcReply("confirm.select");
    _confirmGeneration = _connection->channelGeneration();
    _lastDeliveryTag = 0;
}

std::vector<PublishOutcome>
AmqpPublisher::publishBatch(const std::vector<OutgoingMessage>& messages,
                            std::chrono::milliseconds confirmTimeout) {
    std::vector<PublishOutcome> outcomes(messages.size());
    for (std::size_t i = 0; i < messages.size(); ++i)
        outcomes[i].token = messages[i].token;
    if (messages.empty())
        return outcomes;

    // Unreachable broker: throws, nothing published, the caller backs off.
    ensureConnected();

    Batch batch{messages,
                outcomes,
                std::vector<char>(messages.size(), 0),
                std::vector<char>(messages.size(), 0),
                {},
                {}};
    const auto deadline = Clock::now() + confirmTimeout;
    const std::size_t window = _options.confirmWindow;
    try {
        checkExchanges(batch);
        for (std::size_t i = 0; i < messages.size(); ++i) {
            if (batch.settled[i])
                continue;
            if (batch.unconfirmed.size() >= window || _connection->blocked()) {
                if (!waitForConfirms(batch, window / 2, true, deadline))
                    break;
            }
            publishOne(batch, i);
        }
        waitForConfirms(batch, 0, false, deadline);
        bool unsettled =
            std::find(batch.settled.begin(), batch.settled.end(), 0) != batch.settled.end();
        if (unsettled) {
            std::string reason = _connection->context("publish") +
                                 ": no publisher confirm within " +
                                 std::to_string(confirmTimeout.count()) + " ms" +
                                 (_connection->blocked() ? " (the broker blocked publishing)" : "");
            _logger.warning("%s; tearing the connection down", reason);
            batch.failUnsettled(reason);
            teardown();
        }
    } catch (const AmqpError& e) {
        batch.failUnsettled(e.what());
        if (e.connectionLost()) {
            _logger.warning("AMQP publisher lost its connection: %s", std::string(e.what()));
            teardown();
        } else {
            // Only the channel died: the exchange cache may be what misled us (an exchange
            // deleted since it was checked), so check again on the fresh channel.
            _knownExchanges.clear();
            try {
                ensureChannelReady();
            } catch (const AmqpError& again) {
                _logger.warning("AMQP publisher cannot reopen its channel: %s",
                                std::string(again.what()));
                teardown();
            }
        }
    } catch (...) {
        // Unexpected (out of memory, ...): acks still in flight would be read by the next
        // batch and matched to the wrong messages, so the connection goes too.
        batch.failUnsettled("publish interrupted by an unexpected error");
        teardown();
        throw;
    }
    return outcomes;
}

void AmqpPublisher::checkExchanges(Batch& batch) {
    std::set<std::string> toCheck;
    for (std::size_t i = 0; i < batch.messages.size(); ++i) {
        const OutgoingMessage& m = batch.messages[i];
        if (m.exchange.size() > 255 || m.routingKey.size() > 255) {
            batch.finish(i, PublishResult::Unroutable,
                         "exchange name or routing key longer than 255 bytes (exchange '" +
                             m.exchange.substr(0, 64) + "...')");
            continue;
        }
        if (!m.exchange.empty() && !_knownExchanges.count(m.exchange))
            toCheck.insert(m.exchange);
    }
    std::map<std::string, std::string> missing;
    for (const std::string& name : toCheck) {
        amqp_exchange_declare(_connection->state(), _connection->channel(), amqpBytes(name),
                              amqp_empty_bytes, /*passive*/ 1, /*durable*/ 0, /*auto_delete*/ 0,
                              /*internal*/ 0, amqp_empty_table);
        try {
            _connection->checkRpcReply("exchange.declare (passive) '" + name + "'");
            _knownExchanges.insert(name);
        } catch (const AmqpError& e) {
            if (e.connectionLost() || e.replyCode() != AMQP_NOT_FOUND)
                throw;
            // The 404 closed the channel (close-ok already sent): confirm mode went with it.
            missing.emplace(name, e.what());
            ensureChannelReady();
        }
    }
    if (missing.empty())
        return;
    for (std::size_t i = 0; i < batch.messages.size(); ++i) {
        auto it = missing.find(batch.messages[i].exchange);
        if (it != missing.end() && !batch.settled[i])
            batch.finish(i, PublishResult::Unroutable,
                         "exchange '" + it->first + "' does not exist (" + it->second + ")");
    }
}

void AmqpPublisher::publishOne(Batch& batch, std::size_t index) {
    const OutgoingMessage& m = batch.messages[index];
    std::unique_ptr<AmqpMessageEncoder> encoder;
    try {
        encoder = std::make_unique<AmqpMessageEncoder>(m.wire);
    } catch (const InvalidArgument& e) {
        batch.finish(index, PublishResult::Unroutable, std::string("cannot encode: ") + e.what());
        return;
    }
    const auto frameMax = static_cast<std::size_t>(amqp_get_frame_max(_connection->state()));
    if (encoder->headerFrameSize() + kFrameOverhead > frameMax) {
        batch.finish(index, PublishResult::Unroutable,
                     "cannot encode: properties and headers take " +
                         std::to_string(encoder->headerFrameSize()) +
                         " bytes, more than the negotiated frame_max " + std::to_string(frameMax));
        return;
    }
    int status = amqp_basic_publish(_connection->state(), _connection->channel(),
                                    amqpBytes(m.exchange), amqpBytes(m.routingKey),
                                    /*mandatory*/ 1, /*immediate*/ 0, encoder->properties(),
                                    encoder->body());
    // Only the local write is reported here; routing, 404s and acks arrive asynchronously.
    _connection->checkStatus(status, "basic.publish to exchange '" + m.exchange + "'");
    std::uint64_t tag = ++_lastDeliveryTag;
    batch.unconfirmed.emplace(tag, index);
    batch.inFlightByKey[correlationKey(m.wire)].push_back(index);
}

bool AmqpPublisher::waitForConfirms(Batch& batch, std::size_t target, bool untilUnblocked,
                                    Clock::time_point deadline) {
    amqp_connection_state_t state = _connection->state();
    while (batch.unconfirmed.size() > target || (untilUnblocked && _connection->blocked())) {
        if (Clock::now() >= deadline)
            return false;
        timeval timeout = remainingUntil(deadline);
        amqp_frame_t frame{};
        int status = amqp_simple_wait_frame_noblock(state, &frame, &timeout);
        if (status == AMQP_STATUS_TIMEOUT)
            continue;
        _connection->checkStatus(status, "waiting for publisher confirms");
        handleFrame(batch, frame);
        amqp_maybe_release_buffers(state);
    }
    return true;
}

void AmqpPublisher::handleFrame(Batch& batch, const amqp_frame_t& frame) {
    if (frame.frame_type != AMQP_FRAME_METHOD) {
        _logger.warning("AMQP publisher: ignored a stray frame of type %d on channel %d",
                        static_cast<int>(frame.frame_type), static_cast<int>(frame.channel));
        return;
    }
    switch (frame.payload.method.id) {
    case AMQP_BASIC_ACK_METHOD: {
        const auto* ack = static_cast<const amqp_basic_ack_t*>(frame.payload.method.decoded);
        settle(batch, ack->delivery_tag, ack->multiple != 0, true);
        return;
    }
    case AMQP_BASIC_NACK_METHOD: {
        const auto* nack = static_cast<const amqp_basic_nack_t*>(frame.payload.method.decoded);
        settle(batch, nack->delivery_tag, nack->multiple != 0, false);
        return;
    }
    case AMQP_BASIC_RETURN_METHOD:
        handleReturn(batch, frame);
        return;
    default:
        if (!_connection->handleAsyncMethod(frame))
            _logger.debug("AMQP publisher: ignored method 0x%08x",
                          static_cast<unsigned>(frame.payload.method.id));
    }
}

void AmqpPublisher::handleReturn(Batch& batch, const amqp_frame_t& frame) {
    const auto* ret = static_cast<const amqp_basic_return_t*>(frame.payload.method.decoded);
    // Copied before amqp_read_message, which reads more frames into the connection's buffers.
    const std::uint16_t replyCode = ret->reply_code;
    const std::string replyText = toStdString(ret->reply_text);
    const std::string exchange = toStdString(ret->exchange);
    const std::string routingKey = toStdString(ret->routing_key);

    // The header and body frames of the returned message follow: they must be consumed here,
    // or the next wait would see them as stray frames.
    amqp_message_t message{};
    amqp_rpc_reply_t reply = amqp_read_message(_connection->state(), frame.channel, &message, 0);
    _connection->checkRpcReply(reply, "reading a basic.return");
    std::string key = correlationKey(message.properties);
    amqp_destroy_message(&message);

    std::string error = replyText + ": exchange '" + exchange + "' routing key '" + routingKey +
                        "' (reply " + std::to_string(replyCode) + ")";
    auto it = key.empty() ? batch.inFlightByKey.end() : batch.inFlightByKey.find(key);
    if (it != batch.inFlightByKey.end()) {
        for (std::size_t index : it->second) {
            if (!batch.returned[index]) {
                batch.returned[index] = 1;
                batch.outcomes[index].error = error;
                return;
            }
        }
    }
    _logger.warning("AMQP publisher: cannot match a basic.return (%s) to a message in flight "
                    "(message id '%s'); it will be reported as confirmed",
                    error, key);
}

void AmqpPublisher::settle(Batch& batch, std::uint64_t deliveryTag, bool multiple, bool ack) {
    auto& unconfirmed = batch.unconfirmed;
    auto first = multiple ? unconfirmed.begin() : unconfirmed.find(deliveryTag);
    if (first == unconfirmed.end())
        return; // a tag of nothing we track (already settled): harmless
    auto last = multiple ? unconfirmed.upper_bound(deliveryTag) : std::next(first);
    for (auto it = first; it != last; ++it) {
        std::size_t index = it->second;
        batch.forgetKey(index);
        if (!ack)
            batch.finish(index, PublishResult::Nacked,
                         _connection->context("publish") +
                             ": the broker nacked the message (basic.nack)");
        else if (batch.returned[index])
            batch.finish(index, PublishResult::Unroutable, batch.outcomes[index].error);
        else
            batch.finish(index, PublishResult::Confirmed, {});
    }
    unconfirmed.erase(first, last);
}

} // namespace msgbus::core::amqp
