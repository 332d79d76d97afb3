#include "core/amqp/AmqpMessageEncoder.h"

#include "core/amqp/AmqpConnection.h"

#include <msgbus/Error.h>

#include <amqp_framing.h>

#include <cmath>
#include <limits>

namespace msgbus::core::amqp {

namespace {

constexpr std::size_t kShortStringMax = 255;

// RabbitMQ (3.10) parses the header table of every published message, and its parser has no
// clause for a NaN or infinite float: such a header does not fail the message, it kills the
// whole connection with 541 INTERNAL_ERROR (and every message in flight on it).
void checkFinite(double value, const std::string& path) {
    if (!std::isfinite(value))
        throw InvalidArgument(path + ": NaN and infinite numbers cannot be sent (RabbitMQ "
                                     "closes the connection with 541 INTERNAL_ERROR)");
}

void checkShortString(const std::string& value, const std::string& what) {
    if (value.size() > kShortStringMax)
        throw InvalidArgument(what + " is " + std::to_string(value.size()) +
                              " bytes long; AMQP allows at most 255");
}

void checkRange(const FieldValue& value, std::int64_t min, std::int64_t max,
                const std::string& path) {
    if (value.integer < min || value.integer > max)
        throw InvalidArgument(path + ": value " + std::to_string(value.integer) +
                              " does not fit AMQP field kind '" + std::string(1, value.kind) +
                              "' (" + std::to_string(min) + ".." + std::to_string(max) + ")");
}

// Property strings: every one is a short string on the wire.
void setString(amqp_basic_properties_t& props, amqp_flags_t flag, amqp_bytes_t& field,
               const std::optional<std::string>& value, const char* name, std::size_t& size) {
    if (!value)
        return;
    checkShortString(*value, std::string("property ") + name);
    props._flags |= flag;
    field = amqpBytes(*value);
    size += 1 + value->size();
}

} // namespace

AmqpMessageEncoder::AmqpMessageEncoder(const WireMessage& wire) : _wire(wire) {
    const AmqpProperties& p = wire.properties;
    // class id (2) + weight (2) + body size (8) + property flags (2).
    std::size_t size = 14;
    setString(_properties, AMQP_BASIC_CONTENT_TYPE_FLAG, _properties.content_type, p.contentType,
              "content_type", size);
    setString(_properties, AMQP_BASIC_CONTENT_ENCODING_FLAG, _properties.content_encoding,
              p.contentEncoding, "content_encoding", size);
    _properties._flags |= AMQP_BASIC_DELIVERY_MODE_FLAG;
    _properties.delivery_mode = p.deliveryMode.value_or(AMQP_DELIVERY_PERSISTENT);
    size += 1;
    if (p.priority) {
        _properties._flags |= AMQP_BASIC_PRIORITY_FLAG;
        _properties.priority = *p.priority;
        size += 1;
    }
    setString(_properties, AMQP_BASIC_CORRELATION_ID_FLAG, _properties.correlation_id,
              p.correlationId, "correlation_id", size);
    setString(_properties, AMQP_BASIC_REPLY_TO_FLAG, _properties.reply_to, p.replyTo, "reply_to",
              size);
    setString(_properties, AMQP_BASIC_EXPIRATION_FLAG, _properties.expiration, p.expiration,
              "expiration", size);
    setString(_properties, AMQP_BASIC_MESSAGE_ID_FLAG, _properties.message_id, p.messageId,
              "message_id", size);
    if (p.timestamp) {
        _properties._flags |= AMQP_BASIC_TIMESTAMP_FLAG;
        _properties.timestamp = static_cast<std::uint64_t>(*p.timestamp);
        size += 8;
    }
    setString(_properties, AMQP_BASIC_TYPE_FLAG, _properties.type, p.type, "type", size);
    setString(_properties, AMQP_BASIC_USER_ID_FLAG, _properties.user_id, p.userId, "user_id", size);
    setString(_properties, AMQP_BASIC_APP_ID_FLAG, _properties.app_id, p.appId, "app_id", size);
    if (!wire.headers.empty()) {
        _properties._flags |= AMQP_BASIC_HEADERS_FLAG;
        _properties.headers = encodeTable(wire.headers, "header", size);
    }
    _headerFrameSize = size;
}

amqp_bytes_t AmqpMessageEncoder::body() const noexcept {
    return amqpBytes(_wire.body);
}

amqp_table_t AmqpMessageEncoder::encodeTable(const FieldTable& table, const std::string& path,
                                             std::size_t& size) {
    if (table.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw InvalidArgument(path + ": table too large");
    size += 4;
    amqp_table_t out{static_cast<int>(table.size()), nullptr};
    if (table.empty())
        return out;
    auto entries = std::make_unique<amqp_table_entry_t[]>(table.size());
    for (std::size_t i = 0; i < table.size(); ++i) {
        const FieldEntry& entry = table[i];
        std::string entryPath = path + " '" + entry.key + "'";
        checkShortString(entry.key, entryPath + " name");
        entries[i].key = amqpBytes(entry.key);
        size += 1 + entry.key.size();
        encodeValue(entry.value, entries[i].value, entryPath, size);
    }
    out.entries = entries.get();
    _entries.push_back(std::move(entries));
    return out;
}

void AmqpMessageEncoder::encodeValue(const FieldValue& in, amqp_field_value_t& out,
                                     const std::string& path, std::size_t& size) {
    out.kind = static_cast<std::uint8_t>(in.kind);
    size += 1;
    switch (in.kind) {
    case AMQP_FIELD_KIND_BOOLEAN:
        out.value.boolean = in.boolean ? 1 : 0;
        size += 1;
        break;
    case AMQP_FIELD_KIND_I8:
        checkRange(in, INT8_MIN, INT8_MAX, path);
        out.value.i8 = static_cast<std::int8_t>(in.integer);
        size += 1;
        break;
    case AMQP_FIELD_KIND_U8:
        checkRange(in, 0, UINT8_MAX, path);
        out.value.u8 = static_cast<std::uint8_t>(in.integer);
        size += 1;
        break;
    case AMQP_FIELD_KIND_I16:
        checkRange(in, INT16_MIN, INT16_MAX, path);
        out.value.i16 = static_cast<std::int16_t>(in.integer);
        size += 2;
        break;
    case AMQP_FIELD_KIND_U16:
        checkRange(in, 0, UINT16_MAX, path);
        out.value.u16 = static_cast<std::uint16_t>(in.integer);
        size += 2;
        break;
    case AMQP_FIELD_KIND_I32:
        checkRange(in, INT32_MIN, INT32_MAX, path);
        out.value.i32 = static_cast<std::int32_t>(in.integer);
        size += 4;
        break;
    case AMQP_FIELD_KIND_U32:
        checkRange(in, 0, UINT32_MAX, path);
        out.value.u32 = static_cast<std::uint32_t>(in.integer);
        size += 4;
        break;
    case AMQP_FIELD_KIND_I64:
        out.value.i64 = in.integer;
        size += 8;
        break;
    case AMQP_FIELD_KIND_U64:
    case AMQP_FIELD_KIND_TIMESTAMP:
        // 'L' keeps the uint64 in the integer's bits (FieldValue.h); 'T' is uint64 on the wire.
        out.value.u64 = static_cast<std::uint64_t>(in.integer);
        size += 8;
        break;
    case AMQP_FIELD_KIND_F32:
        checkFinite(static_cast<float>(in.real), path);
        out.value.f32 = static_cast<float>(in.real);
        size += 4;
        break;
    case AMQP_FIELD_KIND_F64:
        checkFinite(in.real, path);
        out.value.f64 = in.real;
        size += 8;
        break;
    case AMQP_FIELD_KIND_DECIMAL:
        checkRange(in, 0, UINT32_MAX, path);
        out.value.decimal.decimals = in.decimals;
        out.value.decimal.value = static_cast<std::uint32_t>(in.integer);
        size += 5;
        break;
    case AMQP_FIELD_KIND_UTF8:
    case AMQP_FIELD_KIND_BYTES:
        if (in.text.size() > UINT32_MAX)
            throw InvalidArgument(path + ": value longer than 4 GiB");
        out.value.bytes = amqpBytes(in.text);
        size += 4 + in.text.size();
        break;
    case AMQP_FIELD_KIND_ARRAY: {
        if (in.array.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
            throw InvalidArgument(path + ": array too large");
        size += 4;
        out.value.array = amqp_array_t{static_cast<int>(in.array.size()), nullptr};
        if (in.array.empty())
            break;
        auto values = std::make_unique<amqp_field_value_t[]>(in.array.size());
        for (std::size_t i = 0; i < in.array.size(); ++i)
            encodeValue(in.array[i], values[i], path + "[" + std::to_string(i) + "]", size);
        out.value.array.entries = values.get();
        _values.push_back(std::move(values));
        break;
    }
    case AMQP_FIELD_KIND_TABLE:
        out.value.table = encodeTable(in.table, path, size);
        break;
    case AMQP_FIELD_KIND_VOID:
        break;
    default:
        throw InvalidArgument(path + ": unknown AMQP field kind '" + std::string(1, in.kind) + "'");
    }
}

} // namespace msgbus::core::amqp
