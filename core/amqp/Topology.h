#pragma once

#include <string>
#include <vector>

namespace msgbus::core::amqp {

class AmqpConnection;

/// An exchange msgbus declares (`amqp.exchange.<name>.type`).
struct ExchangeSpec {
    std::string name;
    std::string type = "topic";
    bool durable = true;
};

/// A binding of a queue to an exchange with a routing pattern.
struct BindingSpec {
    std::string exchange;
    std::string pattern;
};

/// A queue msgbus declares, with its bindings (`amqp.queue.<name>.bindings`).
struct QueueSpec {
    std::string name;
    bool durable = true;
    std::vector<BindingSpec> bindings;
};

/// The whole topology of a configuration.
struct TopologySpec {
    std::vector<ExchangeSpec> exchanges;
    std::vector<QueueSpec> queues;
};

/// Declares every exchange, then every queue and its bindings (exchange.declare,
/// queue.declare, queue.bind; never auto-delete, never exclusive, no arguments). Idempotent:
/// declaring what already exists with the same settings is a no-op for the broker.
///
/// Threading: uses the connection, so only on the connection's own thread.
/// Failure: throws AmqpError naming the exchange, queue or binding and carrying the broker's
/// reply code and text; a mismatch with what exists (406 PRECONDITION_FAILED, e.g. another
/// type or durability) reads "exchange.declare 'orders' (type topic, durable) ...: 406
/// PRECONDITION_FAILED - inequivalent arg 'type' ...". A channel-level failure leaves the
/// connection usable: channel 1 is reopened before the exception leaves (best effort).
void declareTopology(AmqpConnection& connection, const TopologySpec& spec);

} // namespace msgbus::core::amqp
