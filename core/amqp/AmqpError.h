#pragma once

#include <msgbus/Error.h>

#include <cstdint>
#include <string>

namespace msgbus::core::amqp {

/// A failure talking to the AMQP broker. The message carries the context: endpoint
/// (host:port, never the password), channel, what was being done (exchange, queue) and, when
/// the broker closed the channel or connection, its reply code and text
/// ("404 NOT_FOUND - no exchange 'x' in vhost '/'").
///
/// connectionLost() is the one classification callers need: true means the connection is
/// unusable (socket error, heartbeat timeout, connection.close, RPC timeout, broker
/// unreachable) and must be destroyed and rebuilt, with backoff; false means only the channel
/// operation failed and the connection (with a reopened channel) can go on.
class AmqpError : public msgbus::Error {
public:
    /// replyCode is the broker's reply code (e.g. 404, 406, 320), 0 when the broker sent none;
    /// libraryStatus is the rabbitmq-c status (AMQP_STATUS_*), 0 when none.
    AmqpError(const std::string& message, bool connectionLost, std::uint16_t replyCode = 0,
              int libraryStatus = 0);
    ~AmqpError() override;

    bool connectionLost() const noexcept { return _connectionLost; }
    /// The broker's reply code, 0 when the failure did not come from the broker.
    std::uint16_t replyCode() const noexcept { return _replyCode; }
    /// The rabbitmq-c status code (negative AMQP_STATUS_*), 0 when none.
    int libraryStatus() const noexcept { return _libraryStatus; }

private:
    bool _connectionLost;
    std::uint16_t _replyCode;
    int _libraryStatus;
};

} // namespace msgbus::core::amqp
