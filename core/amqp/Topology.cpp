#include "core/amqp/Topology.h"

#include "core/amqp/AmqpConnection.h"
#include "core/amqp/AmqpError.h"

#include <amqp.h>
#include <amqp_framing.h>

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

} // namespace

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
        amqp_queue_declare(state, channel, amqpBytes(queue.name), /*passive*/ 0,
                           queue.durable ? 1 : 0, /*exclusive*/ 0, /*auto_delete*/ 0,
                           amqp_empty_table);
        check(connection, "queue.declare '" + queue.name + "' (" +
                              (queue.durable ? "durable" : "transient") + ")");
        for (const BindingSpec& binding : queue.bindings) {
            amqp_queue_bind(state, channel, amqpBytes(queue.name), amqpBytes(binding.exchange),
                            amqpBytes(binding.pattern), amqp_empty_table);
            check(connection, "queue.bind '" + queue.name + "' to exchange '" + binding.exchange +
                                  "' pattern '" + binding.pattern + "'");
        }
    }
}

} // namespace msgbus::core::amqp
