#pragma once

#include "core/amqp/AmqpNodes.h"
#include "core/amqp/AmqpUrl.h"

#include <amqp.h>
#include <amqp_framing.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace Poco {
class Logger;
}

namespace msgbus::core::amqp {

/// One AMQP connection with one channel (channel 1), over rabbitmq-c 0.11.
///
/// Threading: rabbitmq-c forbids sharing a connection or a channel between threads, so an
/// AmqpConnection belongs to the one thread that created it (a relay thread, a consumer
/// thread). Nothing here locks.
///
/// Ownership: owns the amqp_connection_state_t and its socket; the destructor closes the
/// channel and the connection politely when they are still healthy (with a short RPC timeout,
/// so that a shutdown never hangs on a dead broker) and always calls amqp_destroy_connection.
///
/// Failure: a state that saw a library error, a socket error, a heartbeat timeout, an RPC
/// timeout or a connection.close is broken for good (rabbitmq-c cannot recover it): every
/// later use throws AmqpError with connectionLost() == true, and the owner must destroy this
/// object and construct a new one. A channel.close from the broker (404, 406, ...) only closes
/// channel 1; reopenChannel() brings it back on the same connection.
///
/// The raw state is exposed (state(), channel()) for the other classes of core/amqp, which
/// speak the protocol themselves; they report failures back through checkRpcReply(),
/// checkStatus(), handleAsyncMethod() and markBroken(), so the rules above hold.
class AmqpConnection {
public:
    struct Options {
        /// Proposed heartbeat interval; 0 disables heartbeats (dead peers are then noticed
        /// only by TCP). The broker may lower it.
        int heartbeatSeconds = 30;
        /// TCP connect timeout, also used for the AMQP handshake.
        std::chrono::milliseconds connectTimeout{5000};
        /// Longest wait for any RPC reply (declare, qos, confirm.select, ...); on expiry
        /// rabbitmq-c closes the socket and the connection is broken.
        std::chrono::milliseconds rpcTimeout{30000};
        /// Shown in the RabbitMQ management UI (client property connection_name).
        std::string connectionName;
    };

    /// The only channel msgbus uses on a connection.
    static constexpr amqp_channel_t kChannel = 1;

    /// Connects (TCP with options.connectTimeout), logs in with client properties
    /// (connection_name and the capabilities connection.blocked, consumer_cancel_notify,
    /// publisher_confirms, basic.nack, without which rabbitmq-c 0.11 would never see
    /// connection.blocked or basic.cancel) and opens channel 1.
    /// Throws AmqpError with connectionLost() == true when the broker is unreachable, refuses
    /// the login (the user is named, the password never) or the vhost.
    AmqpConnection(const AmqpUrl& url, const Options& options);
    ~AmqpConnection();

    AmqpConnection(const AmqpConnection&) = delete;
    AmqpConnection& operator=(const AmqpConnection&) = delete;

    /// The raw rabbitmq-c state; valid for the lifetime of this object.
    amqp_connection_state_t state() const noexcept { return _state.get(); }
    amqp_channel_t channel() const noexcept { return kChannel; }

    /// "host:port vhost '/'": the context that goes into every error text.
    const std::string& endpoint() const noexcept { return _endpoint; }

    /// False once the connection is broken (see the class comment).
    bool isUsable() const noexcept { return !_broken; }
    /// Whether channel 1 is open (the broker may have closed it).
    bool channelOpen() const noexcept { return !_broken && _channelOpen; }
    /// Incremented each time channel 1 is (re)opened: per-channel state (confirm mode,
    /// delivery tags, consumers) belongs to one generation.
    std::uint64_t channelGeneration() const noexcept { return _channelGeneration; }
    /// True between connection.blocked and connection.unblocked (a broker resource alarm:
    /// publishes are not processed).
    bool blocked() const noexcept { return _blocked; }

    /// Marks the connection broken, so that the destructor skips the polite close (used after
    /// a timeout or a socket error, when a close handshake would only wait in vain).
    void markBroken() noexcept { _broken = true; }

    /// Checks amqp_get_rpc_reply() after an RPC-style call. what names the operation and its
    /// object ("exchange.declare 'orders'"). Throws AmqpError:
    /// - library error: text from amqp_error_string2, connection broken, connectionLost;
    /// - server channel.close: sends channel.close-ok, marks the channel closed,
    ///   connectionLost() == false, replyCode() = the broker's code, text included;
    /// - server connection.close: sends connection.close-ok, broken, connectionLost.
    void checkRpcReply(const char* what);
    void checkRpcReply(const std::string& what) { checkRpcReply(what.c_str()); }
    /// The same for a reply obtained otherwise (amqp_login, amqp_read_message, ...).
    void checkRpcReply(const amqp_rpc_reply_t& reply, const std::string& what);

    /// Throws AmqpError (connection broken, connectionLost) unless status is AMQP_STATUS_OK.
    void checkStatus(int status, const std::string& what);

    /// Handles the frames any reader can meet between its own: connection.blocked/unblocked
    /// (recorded, logged; returns true), channel.close (close-ok sent, channel marked closed,
    /// throws AmqpError with connectionLost() == false) and connection.close (close-ok sent,
    /// broken, throws AmqpError with connectionLost() == true). Returns false for any other
    /// frame, which the caller handles.
    bool handleAsyncMethod(const amqp_frame_t& frame);

    /// Closes channel 1 if it is still open, then opens it again (a new generation).
    /// Throws AmqpError.
    void reopenChannel();

    /// Reads whatever is pending without waiting (amqp_simple_wait_frame_noblock with a zero
    /// timeout), which also sends a heartbeat when one is due: an idle publisher must call it
    /// more often than heartbeat/2 or the broker drops it. Only for a connection without a
    /// consumer: a stray basic.return/deliver is read and dropped. Throws AmqpError as
    /// handleAsyncMethod does, or on a socket error / heartbeat timeout.
    void serviceHeartbeats();

    /// "AMQP <what> on <endpoint> channel 1": the prefix of every error text.
    std::string context(const std::string& what) const;

private:
    struct StateDeleter {
        void operator()(amqp_connection_state_t state) const noexcept;
    };

    [[noreturn]] void throwLibraryError(const std::string& what, int status);
    /// The one place a channel.close or connection.close from the broker is answered, whether
    /// it came as an RPC's reply or between frames (unsolicited: logged, as no caller expects
    /// it): close-ok is sent, the channel or connection marked closed, and the AmqpError that
    /// checkRpcReply() and handleAsyncMethod() document is thrown, its text naming what.
    [[noreturn]] void acceptChannelClose(const amqp_method_t& method, amqp_channel_t channel,
                                         const std::string& what, bool unsolicited);
    [[noreturn]] void acceptConnectionClose(const amqp_method_t& method, const std::string& what,
                                            bool unsolicited);
    void openChannel();

    std::unique_ptr<amqp_connection_state_t_, StateDeleter> _state;
    std::string _endpoint;
    std::chrono::milliseconds _rpcTimeout;
    bool _broken = false;
    bool _channelOpen = false;
    bool _blocked = false;
    std::uint64_t _channelGeneration = 0;
    Poco::Logger& _logger;
};

/// Connects to the next node of nodes that answers, trying each node at most once (a dead
/// node of a cluster costs one refused connect, not a backoff period). Throws the AmqpError
/// (connectionLost) of the last node tried when none answers, naming every node tried.
std::unique_ptr<AmqpConnection> connectToNextNode(AmqpNodes& nodes,
                                                  const AmqpConnection::Options& options);

/// A duration as the timeval rabbitmq-c waits take (negative: zero).
timeval toTimeval(std::chrono::microseconds duration) noexcept;

/// The time left until deadline as a timeval (zero once it has passed).
timeval timeUntil(std::chrono::steady_clock::time_point deadline) noexcept;

/// amqp_bytes_t over a std::string's bytes, binary-safe (never amqp_cstring_bytes, which stops
/// at the first NUL). The string must outlive the use of the result; rabbitmq-c only reads it.
inline amqp_bytes_t amqpBytes(const std::string& text) noexcept {
    return amqp_bytes_t{text.size(), const_cast<char*>(text.data())};
}

/// Copies amqp bytes into a std::string (an empty amqp_bytes_t may carry a null pointer).
inline std::string toStdString(amqp_bytes_t bytes) {
    return bytes.len == 0 ? std::string()
                          : std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

} // namespace msgbus::core::amqp
