// The consume ceiling: how fast the broker delivers to one consumer on this machine, with
// rabbitmq-c directly (no database, no decoding): the limit the inbox figures compare with.
#include "BenchEnv.h"
#include "Figures.h"

#include "core/amqp/AmqpConnection.h"
#include "core/amqp/AmqpNodes.h"

#include <amqp.h>
#include <amqp_framing.h>

#include <stdexcept>
#include <sys/time.h>

namespace msgbus::bench {

double consumeCeiling(std::int64_t messages, const std::string& when) {
    ScratchQueue queue("bench.#");
    ScratchMysqlDatabase mysql;
    BenchBus bus("MySQL", mysql.connection(), queue.exchange());
    preload(bus, queue.exchange(), messages);
    const auto queued = queue.settledMessageCount(static_cast<std::uint64_t>(messages));
    if (queued != static_cast<std::uint64_t>(messages))
        throw std::runtime_error("the queue holds " + std::to_string(queued) + " messages, not " +
                                 std::to_string(messages));

    // The inbox's default prefetch; acking every half of it keeps deliveries flowing.
    const int prefetch = core::ConsumerSettings{}.prefetch;
    const std::int64_t ackEvery = std::max(1, prefetch / 2);
    core::amqp::AmqpConnection::Options options;
    options.connectionName = "msgbus bench consume ceiling";
    auto nodes = core::amqp::AmqpNodes::parse(amqpUrl());
    auto connected = core::amqp::connectToNextNode(nodes, options);
    core::amqp::AmqpConnection& connection = *connected;
    amqp_connection_state_t state = connection.state();
    const amqp_channel_t channel = connection.channel();

    Stopwatch clock;
    const CpuClock cpu;
    amqp_basic_qos(state, channel, 0, static_cast<std::uint16_t>(prefetch), 0);
    connection.checkRpcReply("basic.qos");
    amqp_basic_consume(state, channel, amqp_cstring_bytes(queue.queue().c_str()), amqp_empty_bytes,
                       /*no_local*/ 0, /*no_ack*/ 0, /*exclusive*/ 0, amqp_empty_table);
    connection.checkRpcReply("basic.consume");
    std::int64_t received = 0;
    while (received < messages) {
        amqp_maybe_release_buffers(state);
        amqp_envelope_t envelope;
        timeval timeout{10, 0};
        const amqp_rpc_reply_t reply = amqp_consume_message(state, &envelope, &timeout, 0);
        if (reply.reply_type != AMQP_RESPONSE_NORMAL)
            connection.checkRpcReply(reply, "consuming (" + std::to_string(received) + " of " +
                                                std::to_string(messages) + " received)");
        ++received;
        if (received % ackEvery == 0 || received == messages)
            connection.checkStatus(
                amqp_basic_ack(state, channel, envelope.delivery_tag, /*multiple*/ 1), "basic.ack");
        amqp_destroy_envelope(&envelope);
    }
    const double rate = static_cast<double>(received) / clock.seconds();
    report("consume ceiling: raw rabbitmq-c consume + ack, no database (" +
               std::to_string(messages) + " msgs, prefetch " + std::to_string(prefetch) +
               ", a multiple ack every " + std::to_string(ackEvery) +
               (when.empty() ? "" : ", " + when) + ")",
           rate, "msg/s");
    reportCpu("consume ceiling" + (when.empty() ? "" : " (" + when + ")"), cpu, received);
    return rate;
}

} // namespace msgbus::bench
