#include "core/amqp/AmqpMessageDecoder.h"

#include "core/amqp/AmqpConnection.h"

#include <msgbus/Error.h>

#include <amqp_framing.h>

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace msgbus::core::amqp {

namespace {

std::optional<std::string> stringProperty(const amqp_basic_properties_t& p, amqp_flags_t flag,
                                          amqp_bytes_t value) {
    if (!(p._flags & flag))
        return std::nullopt;
    return toStdString(value);
}

// A key given twice (AMQP leaves that undefined) keeps its last value, once, at its first
// place: the failed-row JSON can hold a key only once and keeps the last, so the fresh path
// and a retry from that row must see the same x-message-id.
FieldTable withoutRepeatedKeys(FieldTable table) {
    std::unordered_map<std::string_view, std::size_t> firstAt;
    firstAt.reserve(table.size());
    bool repeated = false;
    for (std::size_t i = 0; i < table.size(); ++i) {
        auto [it, inserted] = firstAt.emplace(table[i].key, i);
        if (!inserted) {
            repeated = true;
            break;
        }
    }
    if (!repeated)
        return table;
    FieldTable out;
    std::unordered_map<std::string, std::size_t> placed;
    for (auto& entry : table) {
        auto it = placed.find(entry.key);
        if (it != placed.end()) {
            out[it->second].value = std::move(entry.value);
            continue;
        }
        placed.emplace(entry.key, out.size());
        out.push_back(std::move(entry));
    }
    return out;
}

} // namespace

WireMessage AmqpMessageDecoder::decode(const amqp_basic_properties_t& properties,
                                       amqp_bytes_t body) {
    WireMessage wire;
    wire.body = toStdString(body);
    wire.properties = decodeProperties(properties);
    if (properties._flags & AMQP_BASIC_HEADERS_FLAG)
        wire.headers = decodeTable(properties.headers);
    return wire;
}

AmqpProperties AmqpMessageDecoder::decodeProperties(const amqp_basic_properties_t& p) {
    AmqpProperties out;
    out.contentType = stringProperty(p, AMQP_BASIC_CONTENT_TYPE_FLAG, p.content_type);
    out.contentEncoding = stringProperty(p, AMQP_BASIC_CONTENT_ENCODING_FLAG, p.content_encoding);
    if (p._flags & AMQP_BASIC_DELIVERY_MODE_FLAG)
        out.deliveryMode = p.delivery_mode;
    if (p._flags & AMQP_BASIC_PRIORITY_FLAG)
        out.priority = p.priority;
    out.correlationId = stringProperty(p, AMQP_BASIC_CORRELATION_ID_FLAG, p.correlation_id);
    out.replyTo = stringProperty(p, AMQP_BASIC_REPLY_TO_FLAG, p.reply_to);
    out.expiration = stringProperty(p, AMQP_BASIC_EXPIRATION_FLAG, p.expiration);
    out.messageId = stringProperty(p, AMQP_BASIC_MESSAGE_ID_FLAG, p.message_id);
    if (p._flags & AMQP_BASIC_TIMESTAMP_FLAG)
        out.timestamp = static_cast<std::int64_t>(p.timestamp);
    out.type = stringProperty(p, AMQP_BASIC_TYPE_FLAG, p.type);
    out.userId = stringProperty(p, AMQP_BASIC_USER_ID_FLAG, p.user_id);
    out.appId = stringProperty(p, AMQP_BASIC_APP_ID_FLAG, p.app_id);
    return out;
}

FieldTable AmqpMessageDecoder::decodeTable(const amqp_table_t& table, int depth) {
    if (depth > maxDepth)
        throw MalformedMessage("headers", "tables or arrays nested more than " +
                                              std::to_string(maxDepth) + " levels deep");
    FieldTable out;
    out.reserve(static_cast<std::size_t>(std::max(0, table.num_entries)));
    for (int i = 0; i < table.num_entries; ++i)
        out.push_back(FieldEntry{toStdString(table.entries[i].key),
                                 decodeValue(table.entries[i].value, depth)});
    return withoutRepeatedKeys(std::move(out));
}

FieldValue AmqpMessageDecoder::decodeValue(const amqp_field_value_t& in, int depth) {
    FieldValue out;
    out.kind = static_cast<char>(in.kind);
    switch (in.kind) {
    case AMQP_FIELD_KIND_BOOLEAN:
        out.boolean = in.value.boolean != 0;
        break;
    case AMQP_FIELD_KIND_I8:
        out.integer = in.value.i8;
        break;
    case AMQP_FIELD_KIND_U8:
        out.integer = in.value.u8;
        break;
    case AMQP_FIELD_KIND_I16:
        out.integer = in.value.i16;
        break;
    case AMQP_FIELD_KIND_U16:
        out.integer = in.value.u16;
        break;
    case AMQP_FIELD_KIND_I32:
        out.integer = in.value.i32;
        break;
    case AMQP_FIELD_KIND_U32:
        out.integer = in.value.u32;
        break;
    case AMQP_FIELD_KIND_I64:
        out.integer = in.value.i64;
        break;
    case AMQP_FIELD_KIND_U64:
    case AMQP_FIELD_KIND_TIMESTAMP:
        out.integer = static_cast<std::int64_t>(in.value.u64);
        break;
    case AMQP_FIELD_KIND_F32:
        out.real = in.value.f32;
        break;
    case AMQP_FIELD_KIND_F64:
        out.real = in.value.f64;
        break;
    case AMQP_FIELD_KIND_DECIMAL:
        out.decimals = in.value.decimal.decimals;
        out.integer = in.value.decimal.value;
        break;
    case AMQP_FIELD_KIND_UTF8:
    case AMQP_FIELD_KIND_BYTES:
        out.text = toStdString(in.value.bytes);
        break;
    case AMQP_FIELD_KIND_ARRAY:
        if (depth >= maxDepth)
            throw MalformedMessage("headers", "tables or arrays nested more than " +
                                                  std::to_string(maxDepth) + " levels deep");
        out.array.reserve(static_cast<std::size_t>(std::max(0, in.value.array.num_entries)));
        for (int i = 0; i < in.value.array.num_entries; ++i)
            out.array.push_back(decodeValue(in.value.array.entries[i], depth + 1));
        break;
    case AMQP_FIELD_KIND_TABLE:
        out.table = decodeTable(in.value.table, depth + 1);
        break;
    case AMQP_FIELD_KIND_VOID:
        break;
    default:
        throw MalformedMessage("header", "unknown AMQP field kind " +
                                             std::to_string(static_cast<int>(in.kind)));
    }
    return out;
}

} // namespace msgbus::core::amqp
