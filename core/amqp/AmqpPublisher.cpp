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

/// The bookkeeping of one submitted batch.
struct AmqpPublisher::Batch {
    BatchId id = 0;
    std::vector<OutgoingMessage> messages;
    std::vector<PublishOutcome> outcomes;
    /// An outcome is final (published and confirmed/nacked, or never to be published).
    std::vector<char> settled;
    /// A basic.return named the message; its ack will then mean Unroutable.
    std::vector<char> returned;
    std::size_t unsettled = 0;
    Clock::time_point deadline;
    std::chrono::milliseconds confirmTimeout{0};

    void finish(std::size_t index, PublishResult result, std::string error) {
        if (settled[index])
            return;
        outcomes[index].result = result;
        outcomes[index].error = std::move(error);
        settled[index] = 1;
        --unsettled;
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
    }
};

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
    failInFlight("the publisher was closed before the broker confirmed");
    _connection.reset();
    _knownExchanges.clear();
}

void AmqpPublisher::teardown() noexcept {
    failInFlight("the connection was torn down before the broker confirmed");
    if (_connection)
        _connection->markBroken();
    _connection.reset();
    _knownExchanges.clear();
}

void AmqpPublisher::failInFlight(const std::string& reason,
                                 std::uint16_t channelReplyCode) noexcept {
    // Confirms are per channel: with the channel or connection gone, nothing published on it
    // will ever be confirmed. Messages the broker returned were certainly not routed.
    try {
        for (auto& [tag, m] : _unconfirmed) {
            Batch& batch = *m.batch;
            if (batch.returned[m.index]) {
                batch.finish(m.index, PublishResult::Unroutable, batch.outcomes[m.index].error);
            } else {
                batch.finish(m.index, PublishResult::NotConfirmed, reason);
                batch.outcomes[m.index].channelReplyCode = channelReplyCode;
            }
        }
    } catch (...) {
        // Only string allocation can throw here; await() reports what is left unsettled.
    }
    _unconfirmed.clear();
    _inFlightByKey.clear();
}

void AmqpPublisher::readArrived() {
    // Whatever the socket already holds, without waiting. With messages in flight this must go
    // through handleFrame: a confirm read and dropped here would never settle its message.
    for (;;) {
        timeval zero{0, 0};
        amqp_frame_t frame{};
        int status = amqp_simple_wait_frame_noblock(_connection->state(), &frame, &zero);
        if (status == AMQP_STATUS_TIMEOUT)
            return;
        _connection->checkStatus(status, "reading publisher confirms");
        handleFrame(frame);
        amqp_maybe_release_buffers(_connection->state());
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
        if (_unconfirmed.empty())
            _connection->serviceHeartbeats();
        else
            readArrived();
    } catch (const AmqpError& e) {
        _logger.warning("%s: %s", std::string(what), std::string(e.what()));
        failInFlight(e.what(), e.connectionLost() ? 0 : e.replyCode());
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
    // A new channel: whatever was published on the old one will never be confirmed.
    failInFlight(_connection->context("channel") + ": the channel closed before the broker "
                                                   "confirmed");
    if (!_connection->channelOpen())
        _connection->reopenChannel();
    amqp_confirm_select(_connection->state(), _connection->channel());
    _connection->checkRpcReply("confirm.select");
    _confirmGeneration = _connection->channelGeneration();
    _lastDeliveryTag = 0;
}

std::vector<PublishOutcome>
AmqpPublisher::publishBatch(const std::vector<OutgoingMessage>& messages,
                            std::chrono::milliseconds confirmTimeout) {
    return await(submit(messages, confirmTimeout));
}

AmqpPublisher::BatchId AmqpPublisher::submit(std::vector<OutgoingMessage> messages,
                                             std::chrono::milliseconds confirmTimeout) {
    auto owned = std::make_unique<Batch>();
    Batch& batch = *owned;
    batch.id = _nextBatchId++;
    batch.messages = std::move(messages);
    const std::size_t n = batch.messages.size();
    batch.outcomes.resize(n);
    for (std::size_t i = 0; i < n; ++i)
        batch.outcomes[i].token = batch.messages[i].token;
    batch.settled.assign(n, 0);
    batch.returned.assign(n, 0);
    batch.unsettled = n;
    batch.confirmTimeout = confirmTimeout;
    batch.deadline = Clock::now() + confirmTimeout;
    if (n == 0) {
        _batches.push_back(std::move(owned));
        return batch.id;
    }

    // Unreachable broker: throws, nothing published, the caller backs off.
    ensureConnected();
    _batches.push_back(std::move(owned));

    const std::size_t window = _options.confirmWindow;
    try {
        checkExchanges(batch);
        for (std::size_t i = 0; i < n; ++i) {
            if (batch.settled[i])
                continue;
            if (_unconfirmed.size() >= window || _connection->blocked()) {
                if (!waitForConfirms(window / 2, true, batch.deadline))
                    break; // await() reports the rest as not confirmed in time
            }
            publishOne(batch, i);
        }
    } catch (const AmqpError& e) {
        handleFailure(e);
        batch.failUnsettled(e.what()); // the messages not published yet
    } catch (...) {
        // Unexpected (out of memory, ...): acks still in flight would be matched to the wrong
        // messages later, so the connection goes too.
        teardown();
        _batches.pop_back();
        throw;
    }
    return batch.id;
}

AmqpPublisher::Batch& AmqpPublisher::batchOf(BatchId id) {
    for (auto& batch : _batches)
        if (batch->id == id)
            return *batch;
    throw InvalidArgument("AmqpPublisher: batch " + std::to_string(id) +
                          " is not in flight (awaited twice?)");
}

bool AmqpPublisher::poll(BatchId id) {
    Batch& batch = batchOf(id);
    if (batch.unsettled > 0 && _connection && !_unconfirmed.empty()) {
        try {
            readArrived();
        } catch (const AmqpError& e) {
            handleFailure(e);
        }
    }
    return batch.unsettled == 0;
}

std::vector<PublishOutcome> AmqpPublisher::await(BatchId id) {
    Batch& batch = batchOf(id);
    if (batch.unsettled > 0) {
        bool inTime = false;
        try {
            inTime = _connection && waitForBatch(batch, batch.deadline);
        } catch (const AmqpError& e) {
            handleFailure(e);
            batch.failUnsettled(e.what()); // published ones are settled by handleFailure
            inTime = true;
        } catch (...) {
            teardown();
            forget(id);
            throw;
        }
        if (!inTime && batch.unsettled > 0 && !_connection) {
            batch.failUnsettled("publish: the connection was lost before these were published");
        } else if (!inTime && batch.unsettled > 0) {
            std::string reason = _connection->context("publish") +
                                 ": no publisher confirm within " +
                                 std::to_string(batch.confirmTimeout.count()) + " ms" +
                                 (_connection->blocked() ? " (the broker blocked publishing)" : "");
            _logger.warning("%s; tearing the connection down", reason);
            batch.failUnsettled(reason);
            teardown();
        }
    }
    std::vector<PublishOutcome> outcomes = std::move(batch.outcomes);
    forget(id);
    return outcomes;
}

void AmqpPublisher::forget(BatchId id) noexcept {
    // Only settled batches are forgotten: nothing in _unconfirmed points into them.
    _batches.erase(std::find_if(_batches.begin(), _batches.end(),
                                [id](const auto& b) { return b->id == id; }));
}

void AmqpPublisher::handleFailure(const AmqpError& e) {
    if (e.connectionLost()) {
        _logger.warning("AMQP publisher lost its connection: %s", std::string(e.what()));
        failInFlight(e.what());
        teardown();
        return;
    }
    // Only the channel died, and with it every unconfirmed message on it. The exchange cache
    // may be what misled us (an exchange deleted since it was checked), so check again on the
    // fresh channel. The reply code goes with the outcomes: the broker may have refused one of
    // these messages (no write permission, too large), which only publishing them one by one
    // can tell.
    failInFlight(e.what(), e.replyCode());
    _knownExchanges.clear();
    try {
        ensureChannelReady();
    } catch (const AmqpError& again) {
        _logger.warning("AMQP publisher cannot reopen its channel: %s", std::string(again.what()));
        teardown();
    }
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
    if (toCheck.empty())
        return;
    if (!_unconfirmed.empty()) {
        // A passive declare that finds no exchange closes the channel, and rabbitmq-c keeps
        // the frames that arrive during an RPC for later: acks of earlier batches would then be
        // read after the channel was reopened and its delivery tags restarted, and settle the
        // wrong messages. So the earlier batches are confirmed first (once per exchange and
        // connection, so rarely).
        if (!waitForConfirms(0, false, batch.deadline))
            throw AmqpError(_connection->context("publish") +
                                ": earlier batches were not confirmed in time before checking "
                                "an exchange",
                            true);
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
            if (e.connectionLost())
                throw;
            // A 404 (or a 403: this user may not use it) closed the channel (close-ok already
            // sent): confirm mode went with it, and so did the confirms of earlier batches
            // still in flight (ensureChannelReady fails them). The exchange's messages fail
            // alone; the rest of the batch goes on.
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
                         "exchange '" + it->first + "' does not exist or may not be used (" +
                             it->second + ")");
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
    _unconfirmed.emplace(tag, InFlight{&batch, index});
    _inFlightByKey[correlationKey(m.wire)].push_back(InFlight{&batch, index});
}

bool AmqpPublisher::waitForConfirms(std::size_t target, bool untilUnblocked,
                                    Clock::time_point deadline) {
    while (_unconfirmed.size() > target || (untilUnblocked && _connection->blocked())) {
        if (Clock::now() >= deadline)
            return false;
        timeval timeout = timeUntil(deadline);
        readFrame(&timeout);
    }
    return true;
}

bool AmqpPublisher::waitForBatch(const Batch& batch, Clock::time_point deadline) {
    while (batch.unsettled > 0) {
        if (Clock::now() >= deadline)
            return false;
        timeval timeout = timeUntil(deadline);
        readFrame(&timeout);
    }
    return true;
}

void AmqpPublisher::readFrame(const timeval* timeout) {
    amqp_connection_state_t state = _connection->state();
    timeval copy = *timeout;
    amqp_frame_t frame{};
    int status = amqp_simple_wait_frame_noblock(state, &frame, &copy);
    if (status == AMQP_STATUS_TIMEOUT)
        return;
    _connection->checkStatus(status, "waiting for publisher confirms");
    handleFrame(frame);
    amqp_maybe_release_buffers(state);
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
        settle(ack->delivery_tag, ack->multiple != 0, true);
        return;
    }
    case AMQP_BASIC_NACK_METHOD: {
        const auto* nack = static_cast<const amqp_basic_nack_t*>(frame.payload.method.decoded);
        settle(nack->delivery_tag, nack->multiple != 0, false);
        return;
    }
    case AMQP_BASIC_RETURN_METHOD:
        handleReturn(frame);
        return;
    default:
        if (!_connection->handleAsyncMethod(frame))
            _logger.debug("AMQP publisher: ignored method 0x%08x",
                          static_cast<unsigned>(frame.payload.method.id));
    }
}

void AmqpPublisher::handleReturn(const amqp_frame_t& frame) {
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
    auto it = key.empty() ? _inFlightByKey.end() : _inFlightByKey.find(key);
    if (it != _inFlightByKey.end()) {
        for (const InFlight& m : it->second) {
            if (!m.batch->returned[m.index]) {
                m.batch->returned[m.index] = 1;
                m.batch->outcomes[m.index].error = error;
                return;
            }
        }
    }
    _logger.warning("AMQP publisher: cannot match a basic.return (%s) to a message in flight "
                    "(message id '%s'); it will be reported as confirmed",
                    error, key);
}

void AmqpPublisher::forgetKey(const InFlight& message) {
    auto it = _inFlightByKey.find(correlationKey(message.batch->messages[message.index].wire));
    if (it == _inFlightByKey.end())
        return;
    auto& list = it->second;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const InFlight& m) {
                                  return m.batch == message.batch && m.index == message.index;
                              }),
               list.end());
    if (list.empty())
        _inFlightByKey.erase(it);
}

void AmqpPublisher::settle(std::uint64_t deliveryTag, bool multiple, bool ack) {
    auto first = multiple ? _unconfirmed.begin() : _unconfirmed.find(deliveryTag);
    if (first == _unconfirmed.end())
        return; // a tag of nothing we track (already settled): harmless
    auto last = multiple ? _unconfirmed.upper_bound(deliveryTag) : std::next(first);
    for (auto it = first; it != last; ++it) {
        const InFlight& m = it->second;
        Batch& batch = *m.batch;
        forgetKey(m);
        if (!ack)
            batch.finish(m.index, PublishResult::Nacked,
                         _connection->context("publish") +
                             ": the broker nacked the message (basic.nack)");
        else if (batch.returned[m.index])
            batch.finish(m.index, PublishResult::Unroutable, batch.outcomes[m.index].error);
        else
            batch.finish(m.index, PublishResult::Confirmed, {});
    }
    _unconfirmed.erase(first, last);
}

} // namespace msgbus::core::amqp
