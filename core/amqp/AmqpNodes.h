#pragma once

#include "core/amqp/AmqpUrl.h"

#include <cstddef>
#include <string>
#include <vector>

namespace msgbus::core::amqp {

/// The broker nodes a connection may use: the nodes of one RabbitMQ cluster, given as a
/// comma-separated list of URLs (`amqp://u:p@node1:5672/vh,amqp://u:p@node2:5672/vh`).
///
/// Each connection starts at a random node, so that the hosts of a fleet spread over the
/// cluster, then goes round the list: when its node dies, the next connect tries the next
/// node. A single URL is a list of one.
///
/// Value type; one per connection owner (a relay, a consumer): not thread-safe.
class AmqpNodes {
public:
    /// Parses a comma-separated list of URLs (see AmqpUrl::parse). A comma separates nodes
    /// where the next URL (amqp://...) or an empty entry begins; elsewhere it belongs to the URL.
    /// Throws msgbus::InvalidArgument naming the node ("node 2 of 3: ...") and never quoting
    /// user info.
    static AmqpNodes parse(const std::string& list);

    /// One node. Implicit: wherever one URL is enough.
    AmqpNodes(AmqpUrl url); // NOLINT(google-explicit-constructor)
    explicit AmqpNodes(std::vector<AmqpUrl> urls);

    /// The node to connect to now: a random one at the first call, then the next in the list.
    const AmqpUrl& next();

    std::size_t size() const noexcept { return _urls.size(); }
    const std::vector<AmqpUrl>& urls() const noexcept { return _urls; }

    /// "host1:port1, host2:port2": for logs and errors (no user info).
    std::string endpoints() const;

private:
    std::vector<AmqpUrl> _urls;
    std::size_t _next = 0;
    bool _started = false;
};

} // namespace msgbus::core::amqp
