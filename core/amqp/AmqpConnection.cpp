#include "core/amqp/AmqpConnection.h"

#include "core/amqp/AmqpError.h"

#include <Poco/Logger.h>

#include <amqp_tcp_socket.h>

#include <sys/time.h>

#include <algorithm>
#include <array>

namespace msgbus::core::amqp {

namespace {

// Frame size we offer; RabbitMQ's default maximum. Bodies are split into frames of this size.
constexpr int kFrameMax = 131072;
// A polite close must not hold up a shutdown or a reconnect when the broker is slow.
constexpr std::chrono::milliseconds kCloseTimeout{2000};

amqp_table_entry_t boolEntry(const char* key, bool value) {
    amqp_table_entry_t entry{};
    entry.key = amqp_cstring_bytes(key);
    entry.value.kind = AMQP_FIELD_KIND_BOOLEAN;
    entry.value.value.boolean = value ? 1 : 0;
    return entry;
}

std::string brokerText(std::uint16_t code, amqp_bytes_t text) {
    return std::to_string(code) + " " + toStdString(text);
}

} // namespace

void AmqpConnection::StateDeleter::operator()(amqp_connection_state_t state) const noexcept {
    amqp_destroy_connection(state);
}

AmqpConnection::AmqpConnection(const AmqpUrl& url, const Options& options)
    : _state(amqp_new_connection()), _endpoint(url.endpoint() + " vhost '" + url.vhost() + "'"),
      _rpcTimeout(options.rpcTimeout), _logger(Poco::Logger::get("msgbus.amqp")) {
    if (!_state)
        throw AmqpError(context("connect") + ": out of memory creating the connection", true);
    // From here on a throw destroys _state (and with it the socket) through StateDeleter.
    amqp_socket_t* socket = amqp_tcp_socket_new(_state.get());
    if (!socket) {
        _broken = true;
        throw AmqpError(context("connect") + ": cannot create a TCP socket", true);
    }
    timeval connectTimeout = toTimeval(options.connectTimeout);
    int status = amqp_socket_open_noblock(socket, url.host().c_str(), url.port(), &connectTimeout);
    if (status != AMQP_STATUS_OK)
        throwLibraryError("connect", status);

    timeval handshakeTimeout = toTimeval(options.connectTimeout);
    checkStatus(amqp_set_handshake_timeout(_state.get(), &handshakeTimeout),
                "set handshake timeout");
    timeval rpcTimeout = toTimeval(options.rpcTimeout);
    checkStatus(amqp_set_rpc_timeout(_state.get(), &rpcTimeout), "set rpc timeout");

    // rabbitmq-c 0.11 advertises only authentication_failure_close and
    // exchange_exchange_bindings; it merges this table with its defaults.
    std::array<amqp_table_entry_t, 4> capabilities{
        boolEntry("connection.blocked", true), boolEntry("consumer_cancel_notify", true),
        boolEntry("publisher_confirms", true), boolEntry("basic.nack", true)};
    std::array<amqp_table_entry_t, 2> properties{};
    int propertyCount = 0;
    properties[propertyCount].key = amqp_cstring_bytes("capabilities");
    properties[propertyCount].value.kind = AMQP_FIELD_KIND_TABLE;
    properties[propertyCount].value.value.table =
        amqp_table_t{static_cast<int>(capabilities.size()), capabilities.data()};
    ++propertyCount;
    if (!options.connectionName.empty()) {
        properties[propertyCount].key = amqp_cstring_bytes("connection_name");
        properties[propertyCount].value.kind = AMQP_FIELD_KIND_UTF8;
        properties[propertyCount].value.value.bytes = amqpBytes(options.connectionName);
        ++propertyCount;
    }
    amqp_table_t clientProperties{propertyCount, properties.data()};

    amqp_rpc_reply_t reply = amqp_login_with_properties(
        _state.get(), url.vhost().c_str(), 0, kFrameMax, std::max(0, options.heartbeatSeconds),
        &clientProperties, AMQP_SASL_METHOD_PLAIN, url.user().c_str(), url.password().c_str());
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
        // Whatever the broker said, a failed login leaves no usable connection. Name the
        // user (operators need it); the password never appears.
        try {
            checkRpcReply(reply, "login as user '" + url.user() + "'");
        } catch (const AmqpError& e) {
            _broken = true;
            throw AmqpError(e.what(), true, e.replyCode(), e.libraryStatus());
        }
    }
    openChannel();
    _logger.information("AMQP connected to %s as '%s' (heartbeat %d s)", url.redacted(),
                        options.connectionName, amqp_get_heartbeat(_state.get()));
}

AmqpConnection::~AmqpConnection() {
    if (!_state || _broken)
        return;
    timeval closeTimeout = toTimeval(std::min(_rpcTimeout, kCloseTimeout));
    amqp_set_rpc_timeout(_state.get(), &closeTimeout);
    // Results ignored: the state is destroyed right after, whatever the broker answers.
    if (_channelOpen)
        amqp_channel_close(_state.get(), kChannel, AMQP_REPLY_SUCCESS);
    amqp_connection_close(_state.get(), AMQP_REPLY_SUCCESS);
}

std::string AmqpConnection::context(const std::string& what) const {
    return "AMQP " + what + " on " + _endpoint + " channel " + std::to_string(kChannel);
}

void AmqpConnection::throwLibraryError(const std::string& what, int status) {
    _broken = true;
    throw AmqpError(context(what) + ": " + amqp_error_string2(status), true, 0, status);
}

void AmqpConnection::checkStatus(int status, const std::string& what) {
    if (status != AMQP_STATUS_OK)
        throwLibraryError(what, status);
}

void AmqpConnection::checkRpcReply(const char* what) {
    if (_broken)
        throw AmqpError(context(what) + ": the connection is already broken", true);
    amqp_rpc_reply_t reply = amqp_get_rpc_reply(_state.get());
    checkRpcReply(reply, what);
}

void AmqpConnection::checkRpcReply(const amqp_rpc_reply_t& reply, const std::string& what) {
    switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
        return;
    case AMQP_RESPONSE_NONE:
        _broken = true;
        throw AmqpError(context(what) + ": no RPC reply (protocol state lost)", true);
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
        throwLibraryError(what, reply.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
        break;
    }
    switch (reply.reply.id) {
    case AMQP_CHANNEL_CLOSE_METHOD:
        acceptChannelClose(reply.reply, kChannel, what, false);
    case AMQP_CONNECTION_CLOSE_METHOD:
        acceptConnectionClose(reply.reply, what, false);
    default: {
        _broken = true;
        char id[16];
        std::snprintf(id, sizeof id, "0x%08x", static_cast<unsigned>(reply.reply.id));
        throw AmqpError(context(what) + ": unexpected server method " + id, true);
    }
    }
}

bool AmqpConnection::handleAsyncMethod(const amqp_frame_t& frame) {
    if (frame.frame_type != AMQP_FRAME_METHOD)
        return false;
    switch (frame.payload.method.id) {
    case AMQP_CONNECTION_BLOCKED_METHOD: {
        const auto* blocked =
            static_cast<const amqp_connection_blocked_t*>(frame.payload.method.decoded);
        _blocked = true;
        _logger.warning("AMQP %s: the broker blocked publishing: %s", _endpoint,
                        toStdString(blocked->reason));
        return true;
    }
    case AMQP_CONNECTION_UNBLOCKED_METHOD:
        _blocked = false;
        _logger.information("AMQP %s: the broker unblocked publishing", _endpoint);
        return true;
    case AMQP_CHANNEL_CLOSE_METHOD:
        acceptChannelClose(frame.payload.method, frame.channel, "channel", true);
    case AMQP_CONNECTION_CLOSE_METHOD:
        acceptConnectionClose(frame.payload.method, "connection", true);
    default:
        return false;
    }
}

void AmqpConnection::acceptChannelClose(const amqp_method_t& method, amqp_channel_t channel,
                                        const std::string& what, bool unsolicited) {
    const auto* close = static_cast<const amqp_channel_close_t*>(method.decoded);
    const std::uint16_t code = close->reply_code;
    const std::string text = brokerText(code, close->reply_text);
    _channelOpen = false;
    // The broker holds the channel number until it gets close-ok; without it the channel
    // cannot be reopened.
    amqp_channel_close_ok_t ok{};
    if (amqp_send_method(_state.get(), channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok) !=
        AMQP_STATUS_OK)
        _broken = true;
    if (unsolicited) // an RPC's caller reports its own failure; nobody expects this one
        _logger.warning("AMQP %s: the broker closed channel %d: %s", _endpoint,
                        static_cast<int>(channel), text);
    throw AmqpError(context(what) + ": the broker closed the channel: " + text, _broken, code);
}

void AmqpConnection::acceptConnectionClose(const amqp_method_t& method, const std::string& what,
                                           bool unsolicited) {
    const auto* close = static_cast<const amqp_connection_close_t*>(method.decoded);
    const std::uint16_t code = close->reply_code;
    const std::string text = brokerText(code, close->reply_text);
    _broken = true;
    // The send's result does not matter: the connection is broken either way.
    amqp_connection_close_ok_t ok{};
    amqp_send_method(_state.get(), 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
    if (unsolicited)
        _logger.warning("AMQP %s: the broker closed the connection: %s", _endpoint, text);
    throw AmqpError(context(what) + ": the broker closed the connection: " + text, true, code);
}

void AmqpConnection::openChannel() {
    amqp_channel_open(_state.get(), kChannel);
    checkRpcReply("channel.open");
    _channelOpen = true;
    ++_channelGeneration;
}

void AmqpConnection::reopenChannel() {
    if (_broken)
        throw AmqpError(context("channel.open") + ": the connection is broken", true);
    if (_channelOpen) {
        // amqp_channel_close returns its reply: it does not update what amqp_get_rpc_reply
        // reports (only the generated amqp_*_declare/open/... calls do).
        amqp_rpc_reply_t reply = amqp_channel_close(_state.get(), kChannel, AMQP_REPLY_SUCCESS);
        _channelOpen = false;
        checkRpcReply(reply, "channel.close");
    }
    openChannel();
}

void AmqpConnection::serviceHeartbeats() {
    if (_broken)
        throw AmqpError(context("heartbeat") + ": the connection is broken", true);
    for (;;) {
        timeval zero{0, 0};
        amqp_frame_t frame{};
        int status = amqp_simple_wait_frame_noblock(_state.get(), &frame, &zero);
        if (status == AMQP_STATUS_TIMEOUT)
            return;
        if (status != AMQP_STATUS_OK)
            throwLibraryError("heartbeat", status);
        if (!handleAsyncMethod(frame) && frame.frame_type == AMQP_FRAME_METHOD &&
            (frame.payload.method.id == AMQP_BASIC_RETURN_METHOD ||
             frame.payload.method.id == AMQP_BASIC_DELIVER_METHOD)) {
            // Their content frames follow; leaving them would desynchronise every later read.
            amqp_message_t message{};
            amqp_rpc_reply_t reply = amqp_read_message(_state.get(), frame.channel, &message, 0);
            checkRpcReply(reply, "reading a stray message");
            amqp_destroy_message(&message);
            _logger.warning("AMQP %s: dropped an unexpected message on an idle connection",
                            _endpoint);
        }
        amqp_maybe_release_buffers(_state.get());
    }
}

std::unique_ptr<AmqpConnection> connectToNextNode(AmqpNodes& nodes,
                                                  const AmqpConnection::Options& options) {
    std::string failures;
    for (std::size_t tried = 0; tried < nodes.size(); ++tried) {
        const AmqpUrl& url = nodes.next();
        try {
            return std::make_unique<AmqpConnection>(url, options);
        } catch (const AmqpError& e) {
            if (nodes.size() == 1)
                throw;
            failures += (failures.empty() ? "" : "; ") + std::string(e.what());
            if (tried + 1 == nodes.size())
                throw AmqpError("no AMQP node answered (" + nodes.endpoints() + "): " + failures,
                                true, e.replyCode(), e.libraryStatus());
        }
    }
    throw AmqpError("no AMQP node to connect to", true);
}

timeval toTimeval(std::chrono::microseconds duration) noexcept {
    const auto us = std::max<std::int64_t>(0, duration.count());
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(us / 1000000);
    tv.tv_usec = static_cast<suseconds_t>(us % 1000000);
    return tv;
}

timeval timeUntil(std::chrono::steady_clock::time_point deadline) noexcept {
    return toTimeval(std::chrono::duration_cast<std::chrono::microseconds>(
        deadline - std::chrono::steady_clock::now()));
}

} // namespace msgbus::core::amqp
