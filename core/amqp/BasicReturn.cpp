#include "core/amqp/BasicReturn.h"

#include <amqp_framing.h>

#include <cstdint>

namespace msgbus::core::amqp {

std::string correlationKey(const msgbus::WireMessage& wire) {
    if (wire.properties.messageId)
        return *wire.properties.messageId;
    if (const FieldValue* id = wire.header("x-message-id"); id && !id->text.empty())
        return id->text;
    return {};
}

std::string correlationKey(const amqp_basic_properties_t& p) {
    if (p._flags & AMQP_BASIC_MESSAGE_ID_FLAG)
        return toStdString(p.message_id);
    if (p._flags & AMQP_BASIC_HEADERS_FLAG) {
        for (int i = 0; i < p.headers.num_entries; ++i) {
            const amqp_table_entry_t& entry = p.headers.entries[i];
            if (toStdString(entry.key) == "x-message-id" &&
                (entry.value.kind == AMQP_FIELD_KIND_UTF8 ||
                 entry.value.kind == AMQP_FIELD_KIND_BYTES))
                return toStdString(entry.value.value.bytes);
        }
    }
    return {};
}

BasicReturn readBasicReturn(AmqpConnection& connection, const amqp_frame_t& frame) {
    const auto* ret = static_cast<const amqp_basic_return_t*>(frame.payload.method.decoded);
    // Copied before amqp_read_message, which reads more frames into the connection's buffers.
    const std::uint16_t replyCode = ret->reply_code;
    const std::string replyText = toStdString(ret->reply_text);
    const std::string exchange = toStdString(ret->exchange);
    const std::string routingKey = toStdString(ret->routing_key);

    amqp_message_t message{};
    amqp_rpc_reply_t reply = amqp_read_message(connection.state(), frame.channel, &message, 0);
    connection.checkRpcReply(reply, "reading a basic.return");
    BasicReturn result;
    result.correlationKey = correlationKey(message.properties);
    amqp_destroy_message(&message);
    result.error = replyText + ": exchange '" + exchange + "' routing key '" + routingKey +
                   "' (reply " + std::to_string(replyCode) + ")";
    return result;
}

} // namespace msgbus::core::amqp
