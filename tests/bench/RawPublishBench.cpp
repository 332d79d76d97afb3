// Figure 2: raw rabbitmq-c publish with confirms, batches of N, against the bench's broker (or,
// for the "quorum" figure, into a quorum queue on the cluster).
#include "BenchEnv.h"
#include "Figures.h"

#include "core/amqp/AmqpConnection.h"
#include "core/amqp/AmqpNodes.h"
#include "core/util/Clock.h"

#include <msgbus/Id.h>

#include <amqp.h>
#include <amqp_framing.h>

#include <stdexcept>
#include <sys/time.h>
#include <vector>

namespace msgbus::bench {
namespace {

using core::amqp::amqpBytes;

/// Confirms of one batch: delivery tags firstTag .. firstTag + size - 1.
class BatchConfirms {
public:
    BatchConfirms(std::uint64_t firstTag, std::size_t size)
        : _first(firstTag), _settled(size, false) {}

    void settle(std::uint64_t tag, bool multiple) {
        if (tag < _first)
            return;
        const std::size_t last = std::min<std::size_t>(tag - _first, _settled.size() - 1);
        const std::size_t from = multiple ? _lowest : last;
        for (std::size_t i = from; i <= last; ++i)
            if (!_settled[i]) {
                _settled[i] = true;
                ++_count;
            }
        while (_lowest < _settled.size() && _settled[_lowest])
            ++_lowest;
    }
    bool complete() const { return _count == _settled.size(); }

private:
    std::uint64_t _first;
    std::vector<bool> _settled;
    std::size_t _lowest = 0;
    std::size_t _count = 0;
};

} // namespace

double rawPublishWithConfirms(std::int64_t messages, int batch, const std::string& when,
                              const BrokerTarget& target) {
    ScratchQueue queue("#", target);
    core::amqp::AmqpConnection::Options options;
    options.connectionName = "msgbus bench raw publisher";
    auto nodes = core::amqp::AmqpNodes::parse(target.urls);
    auto connected = core::amqp::connectToNextNode(nodes, options);
    core::amqp::AmqpConnection& connection = *connected;
    amqp_connection_state_t state = connection.state();
    const amqp_channel_t channel = connection.channel();
    amqp_confirm_select(state, channel);
    connection.checkRpcReply("confirm.select");

    // The relay's messages as the json serializer shapes them: the same properties, the same
    // three headers and the same payload size.
    const std::string name = "bench.raw";
    const std::string payload = benchPayload(0, kPayloadBytes);
    const amqp_bytes_t exchange = amqp_cstring_bytes(queue.exchange().c_str());
    const amqp_bytes_t routingKey = amqp_cstring_bytes(name.c_str());

    std::uint64_t nextTag = 1;
    std::int64_t published = 0, nacked = 0, returned = 0;
    double publishing = 0, waiting = 0;
    Stopwatch total;
    const CpuClock cpu;
    while (published < messages) {
        const auto size =
            static_cast<std::size_t>(std::min<std::int64_t>(batch, messages - published));
        BatchConfirms confirms(nextTag, size);
        Stopwatch publishClock;
        for (std::size_t i = 0; i < size; ++i) {
            const std::string id = Id::generate().toString();
            const std::int64_t created = core::nowMillis();
            amqp_table_entry_t entries[3];
            entries[0].key = amqp_cstring_bytes("x-message-id");
            entries[0].value.kind = AMQP_FIELD_KIND_UTF8;
            entries[0].value.value.bytes = amqpBytes(id);
            entries[1].key = amqp_cstring_bytes("x-message-name");
            entries[1].value.kind = AMQP_FIELD_KIND_UTF8;
            entries[1].value.value.bytes = amqpBytes(name);
            entries[2].key = amqp_cstring_bytes("x-created-at");
            entries[2].value.kind = AMQP_FIELD_KIND_I64;
            entries[2].value.value.i64 = created;
            amqp_basic_properties_t props{};
            props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
                           AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_TIMESTAMP_FLAG |
                           AMQP_BASIC_TYPE_FLAG | AMQP_BASIC_HEADERS_FLAG;
            props.content_type = amqp_cstring_bytes("application/json");
            props.delivery_mode = 2;
            props.message_id = amqpBytes(id);
            props.timestamp = static_cast<std::uint64_t>(created / 1000);
            props.type = amqpBytes(name);
            props.headers.num_entries = 3;
            props.headers.entries = entries;
            int status =
                amqp_basic_publish(state, channel, exchange, routingKey,
                                   /*mandatory*/ 1, /*immediate*/ 0, &props, amqpBytes(payload));
            connection.checkStatus(status, "basic.publish");
            ++nextTag;
        }
        publishing += publishClock.seconds();

        Stopwatch waitClock;
        while (!confirms.complete()) {
            amqp_frame_t frame;
            timeval timeout{10, 0};
            int status = amqp_simple_wait_frame_noblock(state, &frame, &timeout);
            if (status == AMQP_STATUS_TIMEOUT)
                throw std::runtime_error("raw publisher: no confirm within 10 s");
            connection.checkStatus(status, "waiting for confirms");
            if (frame.frame_type != AMQP_FRAME_METHOD)
                continue;
            switch (frame.payload.method.id) {
            case AMQP_BASIC_ACK_METHOD: {
                auto* ack = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
                confirms.settle(ack->delivery_tag, ack->multiple != 0);
                break;
            }
            case AMQP_BASIC_NACK_METHOD: {
                auto* nack = static_cast<amqp_basic_nack_t*>(frame.payload.method.decoded);
                confirms.settle(nack->delivery_tag, nack->multiple != 0);
                ++nacked;
                break;
            }
            case AMQP_BASIC_RETURN_METHOD: {
                amqp_message_t message;
                connection.checkRpcReply(amqp_read_message(state, frame.channel, &message, 0),
                                         "reading a basic.return");
                amqp_destroy_message(&message);
                ++returned;
                break;
            }
            default:
                connection.handleAsyncMethod(frame);
                break;
            }
        }
        waiting += waitClock.seconds();
        amqp_maybe_release_buffers(state);
        published += static_cast<std::int64_t>(size);
    }
    const double elapsed = total.seconds();
    const double rate = static_cast<double>(published) / elapsed;

    const std::string where = target.describe();
    report("raw rabbitmq-c publish+confirm (" + (where.empty() ? "" : where + ", ") +
               "batches of " + std::to_string(batch) + ", " + std::to_string(messages) + " msgs" +
               (when.empty() ? "" : ", " + when) + ")",
           rate, "msg/s");
    reportCpu("raw rabbitmq-c publish+confirm" + (when.empty() ? "" : " (" + when + ")"), cpu,
              published);
    // On a cluster the node matters: the quorum queue's leader may be on it or one hop away.
    if (nodes.size() > 1)
        note("raw publisher" + (when.empty() ? "" : " (" + when + ")") + " connected to " +
             connection.endpoint());
    note("raw publisher time split: publishing " +
         std::to_string(static_cast<int>(100 * publishing / elapsed)) + "%, waiting for confirms " +
         std::to_string(static_cast<int>(100 * waiting / elapsed)) + "%");
    if (nacked || returned)
        note("raw publisher: " + std::to_string(nacked) + " nacked, " + std::to_string(returned) +
             " returned (expected 0)");
    const auto inQueue = queue.settledMessageCount(static_cast<std::uint64_t>(messages));
    if (inQueue != static_cast<std::uint64_t>(messages))
        note("raw publisher: queue holds " + std::to_string(inQueue) + " of " +
             std::to_string(messages) + " messages");
    return rate;
}

} // namespace msgbus::bench
