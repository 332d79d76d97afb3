#pragma once

#include <msgbus/WireMessage.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace msgbus::core::amqp {

/// One message received by AmqpConsumer, fully copied out of rabbitmq-c's buffers.
struct Delivery {
    /// Valid only on the connection it came from: pass it back with connectionEpoch.
    std::uint64_t deliveryTag = 0;
    /// The AmqpConsumer connection that received it (see AmqpConsumer::ack).
    std::uint64_t connectionEpoch = 0;
    std::string exchange;
    std::string routingKey;
    /// The broker delivered it before (to this or another consumer) without an ack.
    bool redelivered = false;
    /// How often the broker delivered it before, when the broker counts (quorum queues'
    /// x-delivery-count header); nullopt on classic queues.
    std::optional<std::int64_t> deliveryCount;
    msgbus::WireMessage wire;
    /// When this consumer received it: the broker's consumer_timeout runs from then.
    std::chrono::steady_clock::time_point receivedAt{};
    /// Set when the delivery could not be copied into wire whole (headers nested too deep, no
    /// memory for the body): wire then holds what could be copied, and the delivery must still
    /// be settled (a failed row), never left unacked.
    std::optional<std::string> decodeError;
};

} // namespace msgbus::core::amqp
