#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
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

/// An optional queue argument (`amqp.queue.<name>.argument.<x-name>`), sent with the type its
/// value has: an integer (x-delivery-limit, x-max-length), a boolean
/// (x-single-active-consumer) or a string (x-dead-letter-exchange).
struct QueueArgument {
    std::string name;
    std::variant<std::int64_t, bool, std::string> value;

    bool operator==(const QueueArgument&) const = default;
};

/// A queue msgbus declares (`amqp.queue.<name>.*`), with its bindings.
struct QueueSpec {
    std::string name;
    bool durable = true;
    std::vector<BindingSpec> bindings{};
    /// "classic" or "quorum" (sent as x-queue-type; a classic queue is declared without it, as
    /// every earlier version did, so that existing queues stay equivalent).
    std::string type = "classic";
    std::vector<QueueArgument> arguments{};
};

/// The whole topology of a configuration.
struct TopologySpec {
    std::vector<ExchangeSpec> exchanges;
    std::vector<QueueSpec> queues;
};

/// Declares every exchange, then every queue (with its type and arguments) and its bindings
/// (exchange.declare, queue.declare, queue.bind; never auto-delete, never exclusive).
/// Idempotent: declaring what already exists with the same settings is a no-op for the broker.
///
/// Threading: uses the connection, so only on the connection's own thread.
/// Failure: throws AmqpError naming the exchange, queue or binding and carrying the broker's
/// reply code and text; a mismatch with what exists (406 PRECONDITION_FAILED, e.g. another
/// type or durability) reads "exchange.declare 'orders' (type topic, durable) ...: 406
/// PRECONDITION_FAILED - inequivalent arg 'type' ...". A queue that exists with another type or
/// other arguments gets a message naming the queue, the argument, both values and the key to
/// change (a queue's arguments cannot be changed in place). A channel-level failure leaves the
/// connection usable: channel 1 is reopened before the exception leaves (best effort).
void declareTopology(AmqpConnection& connection, const TopologySpec& spec);

/// What the broker has of one exchange or queue of a spec (inspectExchange, inspectQueue).
struct Inspection {
    enum class Outcome {
        Matches,    ///< exists with the spec's settings
        Missing,    ///< does not exist
        Differs,    ///< exists with other settings; detail names them and what to do
        Unverified, ///< exists, but the broker refused the comparison (detail says why)
    };
    Outcome outcome;
    /// Matches: for a queue, its message and consumer counts; otherwise the reason.
    std::string detail;
};

/// Compares an exchange with its spec without creating it: a passive declare tells whether it
/// exists; only then is it declared with the spec's type and durability, which the broker
/// accepts for an equivalent exchange and refuses (406) for another one. (Should the exchange
/// be deleted between the two calls, the second would create it.) A refusal for lack of the
/// configure permission (403) gives Unverified.
/// Threading and channel handling as declareTopology; throws AmqpError for any other failure.
Inspection inspectExchange(AmqpConnection& connection, const ExchangeSpec& exchange);

/// The same for a queue, its type and arguments. A Differs detail is the message
/// declareTopology gives for the mismatch (the argument, both values, the key to change).
Inspection inspectQueue(AmqpConnection& connection, const QueueSpec& queue);

/// What the broker says of a queue in answer to a passive declare.
struct QueueCounts {
    std::uint32_t ready = 0;     ///< messages ready for delivery (not the unacked ones)
    std::uint32_t consumers = 0; ///< consumers subscribed
};

/// The queue's counts, or nothing when it does not exist (404); creates nothing. Throws
/// AmqpError for any other failure.
std::optional<QueueCounts> queueCounts(AmqpConnection& connection, const std::string& queue);

/// Existence only (a passive declare), for a queue msgbus consumes but does not declare:
/// Matches (with its counts) or Missing.
Inspection probeQueue(AmqpConnection& connection, const std::string& queue);

} // namespace msgbus::core::amqp
