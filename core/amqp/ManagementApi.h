#pragma once

#include "core/util/HttpEndpoint.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace msgbus::core::amqp {

/// A queue as RabbitMQ's management API reports it: what AMQP's passive declare does not tell
/// (the unacknowledged messages, the age of the oldest ready one).
struct QueueStatus {
    std::int64_t ready = 0;
    std::int64_t unacked = 0;
    std::int64_t consumers = 0;
    /// The timestamp property of the message at the head of the queue (Unix seconds): classic
    /// queues report it, quorum queues do not.
    std::optional<std::int64_t> headTimestamp;
};

/// A client of the RabbitMQ management HTTP API (the rabbitmq_management plugin), for
/// `msgbus stats`. One request per call, bounded by the timeout; the credentials go in the
/// Authorization header only, never into an error message (the URL is shown redacted). Not
/// thread-safe.
class ManagementApi {
public:
    /// baseUrl: http(s)://[user:password@]host:port (a path prefix is kept, for a proxy). The
    /// user info, when there is one, is what logs in; else user and password (the AMQP
    /// user's). Throws msgbus::InvalidArgument as HttpEndpoint does.
    ManagementApi(const std::string& baseUrl, const HttpClientOptions& options, std::string user,
                  std::string password,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5));

    /// The queue's status, or nothing when it does not exist. Throws msgbus::Error naming the
    /// URL (without credentials) and the HTTP status or the network failure otherwise.
    std::optional<QueueStatus> queue(const std::string& vhost, const std::string& name);

private:
    HttpEndpoint _endpoint;
    std::string _prefix;
    std::string _user;
    std::string _password;
    std::chrono::milliseconds _timeout;
};

} // namespace msgbus::core::amqp
