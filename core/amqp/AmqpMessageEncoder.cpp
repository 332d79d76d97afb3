#include "core/amqp/AmqpMessageEncoder.h"

#include "core/amqp/AmqpConnection.h"
#include "core/util/FieldValueCheck.h"

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

// Alike on purpose: one case per AMQP integer width, each its own member of rabbitmq-c's union.
// The range is checked before, from the kind's traits.
void encodeInteger(const FieldValue& in, amqp_field_value_t& out) {
    switch (in.kind) {
    case FieldKind::Int8:
        out.value.i8 = static_cast<std::int8_t>(in.integer);
        break;
    case FieldKind::UInt8:
        out.value.u8 = static_cast<std::uint8_t>(in.integer);
        break;
    case FieldKind::Int16:
        out.value.i16 = static_cast<std::int16_t>(in.integer);
        break;
    case FieldKind::UInt16:
        out.value.u16 = static_cast<std::uint16_t>(in.integer);
        break;
    case FieldKind::Int32:
        out.value.i32 = static_cast<std::int32_t>(in.integer);
        break;
    case FieldKind::UInt32:
        out.value.u32 = static_cast<std::uint32_t>(in.integer);
        break;
    case FieldKind::Int64:
        out.value.i64 = in.integer;
        break;
    case FieldKind::UInt64:    // the uint64 is kept in the integer's bits
    case FieldKind::Timestamp: // a uint64 on the wire
        out.value.u64 = static_cast<std::uint64_t>(in.integer);
        break;
    default:
        break;
    }
}

void encodeReal(const FieldValue& in, amqp_field_value_t& out, const std::string& path) {
    if (in.kind == FieldKind::Float) {
        checkFinite(static_cast<float>(in.real), path);
        out.value.f32 = static_cast<float>(in.real);
    } else {
        checkFinite(in.real, path);
        out.value.f64 = in.real;
    }
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
    // Alike on purpose: one call per AMQP property, each its own flag and field in rabbitmq-c.
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
        size += 4; // the table's length prefix
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
    amqp_table_t out{static_cast<int>(table.size()), nullptr};
    if (table.empty())
        return out;
    auto entries = std::make_unique<amqp_table_entry_t[]>(table.size());
    for (std::size_t i = 0; i < table.size(); ++i) {
        const FieldEntry& entry = table[i];
        const std::string where = entryPath(path, entry.key);
        checkShortString(entry.key, where + " name");
        entries[i].key = amqpBytes(entry.key);
        size += 1 + entry.key.size();
        encodeValue(entry.value, entries[i].value, where, size);
    }
    out.entries = entries.get();
    _entries.push_back(std::move(entries));
    return out;
}

amqp_array_t AmqpMessageEncoder::encodeArray(const std::vector<FieldValue>& array,
                                             const std::string& path, std::size_t& size) {
    if (array.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw InvalidArgument(path + ": array too large");
    amqp_array_t out{static_cast<int>(array.size()), nullptr};
    if (array.empty())
        return out;
    auto values = std::make_unique<amqp_field_value_t[]>(array.size());
    for (std::size_t i = 0; i < array.size(); ++i)
        encodeValue(array[i], values[i], elementPath(path, i), size);
    out.entries = values.get();
    _values.push_back(std::move(values));
    return out;
}

void AmqpMessageEncoder::encodeValue(const FieldValue& in, amqp_field_value_t& out,
                                     const std::string& path, std::size_t& size) {
    const FieldKindTraits& traits = requireKnownKind(in, path);
    out.kind = static_cast<std::uint8_t>(traits.byte);
    // The tag, then the value or the length prefix of a string, an array or a table.
    size += 1 + traits.wireSize;
    switch (traits.category) {
    case FieldCategory::Boolean:
        out.value.boolean = in.boolean ? 1 : 0;
        break;
    case FieldCategory::Integer:
    case FieldCategory::Timestamp:
        requireInRange(in, traits, path);
        encodeInteger(in, out);
        break;
    case FieldCategory::Real:
        encodeReal(in, out, path);
        break;
    case FieldCategory::Decimal:
        requireInRange(in, traits, path);
        out.value.decimal.decimals = in.decimals;
        out.value.decimal.value = static_cast<std::uint32_t>(in.integer);
        break;
    case FieldCategory::String:
    case FieldCategory::Bytes:
        if (in.text.size() > UINT32_MAX)
            throw InvalidArgument(path + ": value longer than 4 GiB");
        out.value.bytes = amqpBytes(in.text);
        size += in.text.size();
        break;
    case FieldCategory::Array:
        out.value.array = encodeArray(in.array, path, size);
        break;
    case FieldCategory::Table:
        out.value.table = encodeTable(in.table, path, size);
        break;
    case FieldCategory::Void:
        break;
    }
}

} // namespace msgbus::core::amqp
