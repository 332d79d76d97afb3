#include "core/amqp/Topology.h"

#include "core/amqp/AmqpConnection.h"
#include "core/amqp/AmqpError.h"

#include <amqp.h>
#include <amqp_framing.h>

#include <optional>
#include <regex>

namespace msgbus::core::amqp {

namespace {

// Runs the check of one declaration; on a channel-level failure (406, 403, 404) reopens the
// channel so that the caller's connection stays usable, then rethrows the broker's error.
void check(AmqpConnection& connection, const std::string& what) {
    try {
        connection.checkRpcReply(what);
    } catch (const AmqpError& e) {
        if (!e.connectionLost()) {
            try {
                connection.reopenChannel();
            } catch (const AmqpError&) {
                // The original error says more; the broken state shows on the next use.
            }
        }
        throw;
    }
}

/// The queue.declare arguments of queue as an AMQP table; entries point into queue and into
/// storage, which must outlive the table's use.
amqp_table_t argumentsOf(const QueueSpec& queue, std::vector<amqp_table_entry_t>& storage) {
    static const std::string typeKey = "x-queue-type";
    storage.clear();
    if (queue.type != "classic") {
        amqp_table_entry_t entry{};
        entry.key = amqpBytes(typeKey);
        entry.value.kind = AMQP_FIELD_KIND_UTF8;
        entry.value.value.bytes = amqpBytes(queue.type);
        storage.push_back(entry);
    }
    for (const QueueArgument& argument : queue.arguments) {
        amqp_table_entry_t entry{};
        entry.key = amqpBytes(argument.name);
        if (const auto* number = std::get_if<std::int64_t>(&argument.value)) {
            entry.value.kind = AMQP_FIELD_KIND_I64;
            entry.value.value.i64 = *number;
        } else if (const auto* flag = std::get_if<bool>(&argument.value)) {
            entry.value.kind = AMQP_FIELD_KIND_BOOLEAN;
            entry.value.value.boolean = *flag ? 1 : 0;
        } else {
            entry.value.kind = AMQP_FIELD_KIND_UTF8;
            entry.value.value.bytes = amqpBytes(std::get<std::string>(argument.value));
        }
        storage.push_back(entry);
    }
    return amqp_table_t{static_cast<int>(storage.size()), storage.data()};
}

/// What a 406 PRECONDITION_FAILED for an existing queue or exchange says differs: "inequivalent
/// arg 'x-queue-type' for queue 'orders' in vhost '/': received 'quorum' but current is
/// 'classic'". The values are as an operator compares them: the broker's "the value '20' of
/// type 'long'" becomes '20'; "none" (not set) stays "none".
struct Inequivalence {
    std::string argument;
    std::string wanted;   ///< what the declaration asked for
    std::string existing; ///< what the broker has
};

std::optional<Inequivalence> inequivalenceOf(const AmqpError& error, const std::string& kind) {
    const std::regex inequivalent("inequivalent arg '([^']+)' for " + kind +
                                  " '[^']*' in vhost '[^']*': received (.*) but current is (.*)$");
    std::smatch match;
    const std::string text = error.what();
    if (!std::regex_search(text, match, inequivalent))
        return std::nullopt;
    const auto valueOf = [](std::string side) {
        static const std::regex typed("^the value '(.*)' of type '[^']*'$");
        std::smatch value;
        if (std::regex_match(side, value, typed))
            side = "'" + std::string(value[1]) + "'";
        return side;
    };
    return Inequivalence{match[1], valueOf(match[2]), valueOf(match[3])};
}

/// The broker's 406 for a queue that exists with other arguments, said so that an operator can
/// act on it: the argument, both values and the key to change.
AmqpError queueMismatch(const QueueSpec& queue, const AmqpError& error) {
    auto found = inequivalenceOf(error, "queue");
    if (!found)
        return error;
    const std::string& argument = found->argument;
    const std::string key =
        argument == "x-queue-type" ? "amqp.queue." + queue.name + ".type"
        : argument == "durable" || argument == "exclusive" || argument == "auto_delete"
            ? std::string()
            : "amqp.queue." + queue.name + ".argument." + argument;
    const auto shown = [&](const std::string& value) {
        if (value != "none")
            return value;
        return argument == "x-queue-type" ? std::string("'classic'") : std::string("not set");
    };
    return AmqpError("queue '" + queue.name + "' already exists with other settings: " + argument +
                         " is " + shown(found->existing) + " on the broker, " +
                         (key.empty() ? std::string("msgbus declares ")
                                      : "the configuration (" + key + ") asks for ") +
                         shown(found->wanted) +
                         ". The broker cannot change a queue's type or arguments in place: "
                         "configure what the queue has, or move its messages away, delete it "
                         "and run `msgbus setup` again",
                     error.connectionLost(), error.replyCode(), error.libraryStatus());
}

/// The same for an exchange that exists with another type or durability.
std::string exchangeMismatch(const ExchangeSpec& exchange, const AmqpError& error) {
    auto found = inequivalenceOf(error, "exchange");
    if (!found)
        return error.what();
    const std::string wanted = found->argument == "type" ? "the configuration (amqp.exchange." +
                                                               exchange.name + ".type) asks for "
                                                         : std::string("msgbus declares ");
    return "exchange '" + exchange.name +
           "' already exists with other settings: " + found->argument + " is " + found->existing +
           " on the broker, " + wanted + found->wanted +
           ". The broker cannot change an exchange in place: configure what it has, or delete "
           "it and run `msgbus setup` again";
}

/// A passive queue.declare: the queue's counts ("3 messages ready, 1 consumer"), or nothing
/// when it does not exist (404). Throws AmqpError for any other failure.
std::optional<std::string> passiveQueueDeclare(AmqpConnection& connection,
                                               const std::string& queue) {
    const auto counts = queueCounts(connection, queue);
    if (!counts)
        return std::nullopt;
    const auto plural = [](std::uint32_t n, const char* what) {
        return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
    };
    return plural(counts->ready, "message") + " ready, " + plural(counts->consumers, "consumer");
}

/// queue.declare with the spec's durability, type and arguments. A queue that exists with other
/// settings (406) throws queueMismatch's message, reply code kept.
void declareQueue(AmqpConnection& connection, const QueueSpec& queue) {
    std::vector<amqp_table_entry_t> arguments;
    amqp_queue_declare(connection.state(), connection.channel(), amqpBytes(queue.name),
                       /*passive*/ 0, queue.durable ? 1 : 0, /*exclusive*/ 0, /*auto_delete*/ 0,
                       argumentsOf(queue, arguments));
    try {
        check(connection, "queue.declare '" + queue.name + "' (" + queue.type + ", " +
                              (queue.durable ? "durable" : "transient") + ")");
    } catch (const AmqpError& e) {
        if (e.replyCode() == 406)
            throw queueMismatch(queue, e);
        throw;
    }
}

} // namespace

std::optional<QueueCounts> queueCounts(AmqpConnection& connection, const std::string& queue) {
    if (!connection.channelOpen())
        connection.reopenChannel();
    amqp_queue_declare_ok_t* ok =
        amqp_queue_declare(connection.state(), connection.channel(), amqpBytes(queue),
                           /*passive*/ 1, 0, 0, 0, amqp_empty_table);
    try {
        check(connection, "queue.declare '" + queue + "' (passive)");
    } catch (const AmqpError& e) {
        if (e.replyCode() == 404)
            return std::nullopt;
        throw;
    }
    // ok points into the connection's frame memory: read it before the next call.
    return ok ? QueueCounts{ok->message_count, ok->consumer_count} : QueueCounts{};
}

Inspection inspectExchange(AmqpConnection& connection, const ExchangeSpec& exchange) {
    if (!connection.channelOpen())
        connection.reopenChannel();
    amqp_exchange_declare(connection.state(), connection.channel(), amqpBytes(exchange.name),
                          amqpBytes(exchange.type), /*passive*/ 1, 0, 0, 0, amqp_empty_table);
    try {
        check(connection, "exchange.declare '" + exchange.name + "' (passive)");
    } catch (const AmqpError& e) {
        if (e.replyCode() == 404)
            return {Inspection::Outcome::Missing, "no exchange '" + exchange.name + "'"};
        throw;
    }
    amqp_exchange_declare(connection.state(), connection.channel(), amqpBytes(exchange.name),
                          amqpBytes(exchange.type), /*passive*/ 0, exchange.durable ? 1 : 0,
                          /*auto_delete*/ 0, /*internal*/ 0, amqp_empty_table);
    try {
        check(connection, "exchange.declare '" + exchange.name + "' (type " + exchange.type +
                              (exchange.durable ? ", durable)" : ", transient)"));
    } catch (const AmqpError& e) {
        if (e.replyCode() == 406)
            return {Inspection::Outcome::Differs, exchangeMismatch(exchange, e)};
        if (e.replyCode() == 403)
            return {Inspection::Outcome::Unverified, e.what()};
        throw;
    }
    return {Inspection::Outcome::Matches, ""};
}

Inspection inspectQueue(AmqpConnection& connection, const QueueSpec& queue) {
    if (!connection.channelOpen())
        connection.reopenChannel();
    auto counts = passiveQueueDeclare(connection, queue.name);
    if (!counts)
        return {Inspection::Outcome::Missing, "no queue '" + queue.name + "'"};
    try {
        declareQueue(connection, queue);
    } catch (const AmqpError& e) {
        if (e.replyCode() == 406)
            return {Inspection::Outcome::Differs, e.what()};
        if (e.replyCode() == 403)
            return {Inspection::Outcome::Unverified, e.what()};
        throw;
    }
    return {Inspection::Outcome::Matches, *counts};
}

Inspection probeQueue(AmqpConnection& connection, const std::string& queue) {
    if (!connection.channelOpen())
        connection.reopenChannel();
    auto counts = passiveQueueDeclare(connection, queue);
    if (!counts)
        return {Inspection::Outcome::Missing, "no queue '" + queue + "'"};
    return {Inspection::Outcome::Matches, *counts};
}

void declareTopology(AmqpConnection& connection, const TopologySpec& spec) {
    amqp_connection_state_t state = connection.state();
    const amqp_channel_t channel = connection.channel();
    if (!connection.channelOpen())
        connection.reopenChannel();

    for (const ExchangeSpec& exchange : spec.exchanges) {
        amqp_exchange_declare(state, channel, amqpBytes(exchange.name), amqpBytes(exchange.type),
                              /*passive*/ 0, exchange.durable ? 1 : 0, /*auto_delete*/ 0,
                              /*internal*/ 0, amqp_empty_table);
        check(connection, "exchange.declare '" + exchange.name + "' (type " + exchange.type +
                              (exchange.durable ? ", durable)" : ", transient)"));
    }
    for (const QueueSpec& queue : spec.queues) {
        declareQueue(connection, queue);
        for (const BindingSpec& binding : queue.bindings) {
            amqp_queue_bind(state, channel, amqpBytes(queue.name), amqpBytes(binding.exchange),
                            amqpBytes(binding.pattern), amqp_empty_table);
            check(connection, "queue.bind '" + queue.name + "' to exchange '" + binding.exchange +
                                  "' pattern '" + binding.pattern + "'");
        }
    }
}

} // namespace msgbus::core::amqp
