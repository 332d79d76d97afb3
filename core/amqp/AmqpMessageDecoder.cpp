#include "core/amqp/AmqpMessageDecoder.h"

#include "core/amqp/AmqpConnection.h"

#include <msgbus/Error.h>

#include <amqp_framing.h>

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace msgbus::core::amqp {

namespace {

// rabbitmq-c's kind bytes are RabbitMQ's type tags, the values of FieldKind: a kind crosses
// between the two as it is.
constexpr bool sameTag(FieldKind kind, int amqpKind) {
    return static_cast<unsigned char>(fieldKindByte(kind)) == amqpKind;
}
static_assert(sameTag(FieldKind::Boolean, AMQP_FIELD_KIND_BOOLEAN) &&
              sameTag(FieldKind::Int8, AMQP_FIELD_KIND_I8) &&
              sameTag(FieldKind::UInt8, AMQP_FIELD_KIND_U8) &&
              sameTag(FieldKind::Int16, AMQP_FIELD_KIND_I16) &&
              sameTag(FieldKind::UInt16, AMQP_FIELD_KIND_U16) &&
              sameTag(FieldKind::Int32, AMQP_FIELD_KIND_I32) &&
              sameTag(FieldKind::UInt32, AMQP_FIELD_KIND_U32) &&
              sameTag(FieldKind::Int64, AMQP_FIELD_KIND_I64) &&
              sameTag(FieldKind::UInt64, AMQP_FIELD_KIND_U64) &&
              sameTag(FieldKind::Float, AMQP_FIELD_KIND_F32) &&
              sameTag(FieldKind::Double, AMQP_FIELD_KIND_F64) &&
              sameTag(FieldKind::Decimal, AMQP_FIELD_KIND_DECIMAL) &&
              sameTag(FieldKind::String, AMQP_FIELD_KIND_UTF8) &&
              sameTag(FieldKind::Bytes, AMQP_FIELD_KIND_BYTES) &&
              sameTag(FieldKind::Timestamp, AMQP_FIELD_KIND_TIMESTAMP) &&
              sameTag(FieldKind::Array, AMQP_FIELD_KIND_ARRAY) &&
              sameTag(FieldKind::Table, AMQP_FIELD_KIND_TABLE) &&
              sameTag(FieldKind::Void, AMQP_FIELD_KIND_VOID));

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

// Alike on purpose: one case per AMQP integer width, each its own member of rabbitmq-c's union.
// Unsigned kinds keep their value (UInt64 and Timestamp in the int64's bits).
std::int64_t decodeInteger(const amqp_field_value_t& in) {
    switch (in.kind) {
    case AMQP_FIELD_KIND_I8:
        return in.value.i8;
    case AMQP_FIELD_KIND_U8:
        return in.value.u8;
    case AMQP_FIELD_KIND_I16:
        return in.value.i16;
    case AMQP_FIELD_KIND_U16:
        return in.value.u16;
    case AMQP_FIELD_KIND_I32:
        return in.value.i32;
    case AMQP_FIELD_KIND_U32:
        return in.value.u32;
    case AMQP_FIELD_KIND_I64:
        return in.value.i64;
    default: // AMQP_FIELD_KIND_U64, AMQP_FIELD_KIND_TIMESTAMP
        return static_cast<std::int64_t>(in.value.u64);
    }
}

void checkDepth(int depth) {
    if (depth > AmqpMessageDecoder::maxDepth)
        throw MalformedMessage("headers", "tables or arrays nested more than " +
                                              std::to_string(AmqpMessageDecoder::maxDepth) +
                                              " levels deep");
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
    // Alike on purpose: one line per AMQP property, each its own flag and field in rabbitmq-c.
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
    checkDepth(depth);
    FieldTable out;
    out.reserve(static_cast<std::size_t>(std::max(0, table.num_entries)));
    for (int i = 0; i < table.num_entries; ++i)
        out.push_back(FieldEntry{toStdString(table.entries[i].key),
                                 decodeValue(table.entries[i].value, depth)});
    return withoutRepeatedKeys(std::move(out));
}

std::vector<FieldValue> AmqpMessageDecoder::decodeArray(const amqp_array_t& array, int depth) {
    checkDepth(depth + 1);
    std::vector<FieldValue> out;
    out.reserve(static_cast<std::size_t>(std::max(0, array.num_entries)));
    for (int i = 0; i < array.num_entries; ++i)
        out.push_back(decodeValue(array.entries[i], depth + 1));
    return out;
}

FieldValue AmqpMessageDecoder::decodeValue(const amqp_field_value_t& in, int depth) {
    const FieldKindTraits* traits = findFieldKindByte(static_cast<char>(in.kind));
    if (!traits)
        throw MalformedMessage("header", "unknown AMQP field kind " +
                                             std::to_string(static_cast<int>(in.kind)));
    FieldValue out;
    out.kind = traits->kind;
    switch (traits->category) {
    case FieldCategory::Boolean:
        out.boolean = in.value.boolean != 0;
        break;
    case FieldCategory::Integer:
    case FieldCategory::Timestamp:
        out.integer = decodeInteger(in);
        break;
    case FieldCategory::Real:
        out.real = out.kind == FieldKind::Float ? in.value.f32 : in.value.f64;
        break;
    case FieldCategory::Decimal:
        out.decimals = in.value.decimal.decimals;
        out.integer = in.value.decimal.value;
        break;
    case FieldCategory::String:
    case FieldCategory::Bytes:
        out.text = toStdString(in.value.bytes);
        break;
    case FieldCategory::Array:
        out.array = decodeArray(in.value.array, depth);
        break;
    case FieldCategory::Table:
        out.table = decodeTable(in.value.table, depth + 1);
        break;
    case FieldCategory::Void:
        break;
    }
    return out;
}

} // namespace msgbus::core::amqp
