#pragma once

#include <msgbus/WireMessage.h>

#include <amqp.h>

#include <cstddef>
#include <memory>
#include <vector>

namespace msgbus::core::amqp {

/// Builds the rabbitmq-c view of one WireMessage for amqp_basic_publish: the
/// amqp_basic_properties_t (with the header table, every FieldValue kind, recursively) and the
/// body bytes.
///
/// Ownership: the tables and arrays are allocated here and live as long as this object; all
/// strings and byte arrays are not copied but point into the WireMessage, which must outlive
/// this object and stay unchanged. amqp_basic_publish serialises everything before it
/// returns, so one encoder per publish call is enough. Not copyable. Not thread-safe (no
/// shared state: one per publishing thread and message).
///
/// Failure: throws msgbus::InvalidArgument, naming the header path, when a value does not fit
/// its kind ('b' 300, 'D' negative), a float is NaN or infinite (RabbitMQ's header parser
/// crashes on them and closes the connection), the kind is unknown, or a short string (header name,
/// content_type, message_id, ...) is longer than 255 bytes — all of which rabbitmq-c would
/// otherwise reject half-way through a publish, killing the connection.
class AmqpMessageEncoder {
public:
    explicit AmqpMessageEncoder(const msgbus::WireMessage& wire);

    AmqpMessageEncoder(const AmqpMessageEncoder&) = delete;
    AmqpMessageEncoder& operator=(const AmqpMessageEncoder&) = delete;

    /// Properties with delivery_mode 2 (persistent) unless the message sets it.
    const amqp_basic_properties_t* properties() const noexcept { return &_properties; }
    amqp_bytes_t body() const noexcept;

    /// The size of the encoded content-header payload (class, weight, body size, flags and
    /// properties), to compare with the negotiated frame_max: a header frame cannot be split,
    /// and rabbitmq-c fails the publish after the method frame is already out.
    std::size_t headerFrameSize() const noexcept { return _headerFrameSize; }

private:
    // Each adds what it writes to size, but not its own tag and length prefix: encodeValue
    // counts those for every value, the constructor for the header table.
    amqp_table_t encodeTable(const msgbus::FieldTable& table, const std::string& path,
                             std::size_t& size);
    amqp_array_t encodeArray(const std::vector<msgbus::FieldValue>& array, const std::string& path,
                             std::size_t& size);
    void encodeValue(const msgbus::FieldValue& in, amqp_field_value_t& out, const std::string& path,
                     std::size_t& size);

    const msgbus::WireMessage& _wire;
    amqp_basic_properties_t _properties{};
    std::vector<std::unique_ptr<amqp_table_entry_t[]>> _entries;
    std::vector<std::unique_ptr<amqp_field_value_t[]>> _values;
    std::size_t _headerFrameSize = 0;
};

} // namespace msgbus::core::amqp
