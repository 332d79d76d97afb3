#pragma once

#include <msgbus/WireMessage.h>

#include <amqp.h>

namespace msgbus::core::amqp {

/// Copies what rabbitmq-c decoded (properties, header table, body) into msgbus value types,
/// so that nothing points into rabbitmq-c's buffers after amqp_destroy_envelope /
/// amqp_maybe_release_buffers.
///
/// Every AMQP field kind is kept with its tag, recursively through arrays and tables; string
/// and byte values are copied binary-safe (embedded NULs, non-UTF-8); unsigned kinds keep
/// their kind (UInt64 keeps the uint64 in FieldValue::integer's bits). Stateless and
/// thread-safe. Throws msgbus::MalformedMessage for a kind rabbitmq-c itself would never
/// produce (defensive: the input is untrusted broker data) and for tables or arrays nested
/// deeper than maxDepth: everything downstream (the failed-row JSON, a JSON parser) walks
/// headers recursively, and a header frame can nest some 20,000 levels deep.
class AmqpMessageDecoder {
public:
    AmqpMessageDecoder() = delete;

    static constexpr int maxDepth = 32;

    static msgbus::WireMessage decode(const amqp_basic_properties_t& properties, amqp_bytes_t body);
    static msgbus::AmqpProperties decodeProperties(const amqp_basic_properties_t& properties);
    static msgbus::FieldTable decodeTable(const amqp_table_t& table, int depth = 0);
    static std::vector<msgbus::FieldValue> decodeArray(const amqp_array_t& array, int depth = 0);
    static msgbus::FieldValue decodeValue(const amqp_field_value_t& value, int depth = 0);
};

} // namespace msgbus::core::amqp
