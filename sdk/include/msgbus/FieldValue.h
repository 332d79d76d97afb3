#pragma once

#include "msgbus/Export.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace msgbus {

struct FieldEntry;

/// One AMQP 0-9-1 field value with its wire type kept, so a header read from the broker can be
/// stored (failed table) and re-created byte for byte later.
///
/// kind is the RabbitMQ type tag: 't' bool, 'b' int8, 'B' uint8, 's' int16, 'u' uint16, 'I' int32,
/// 'i' uint32, 'l' int64, 'L' uint64 (kept in integer's bits), 'f' float, 'd' double,
/// 'D' decimal (integer = value, decimals), 'S' long string, 'x' byte array, 'T' timestamp
/// (seconds), 'A' array, 'F' table, 'V' void.
struct MSGBUS_API FieldValue {
    char kind = 'V';
    bool boolean = false;
    std::int64_t integer = 0;
    double real = 0;
    std::uint8_t decimals = 0;
    std::string text;              ///< 'S' and 'x'
    std::vector<FieldValue> array; ///< 'A'
    std::vector<FieldEntry> table; ///< 'F'

    static FieldValue ofString(std::string value);
    static FieldValue ofBytes(std::string value);
    static FieldValue ofInt64(std::int64_t value);
    static FieldValue ofInt32(std::int32_t value);
    static FieldValue ofBool(bool value);
    static FieldValue ofTimestamp(std::int64_t unixSeconds);
    /// An integer of the given kind: 'b' 'B' 's' 'u' 'I' 'i' 'l' 'L' or 'T' ('L' keeps a uint64
    /// in value's bits). The value is stored as given, not range-checked against the kind.
    /// Throws InvalidArgument for any other kind.
    static FieldValue ofInteger(char kind, std::int64_t value);
    /// A float ('f') or a double ('d'). Throws InvalidArgument for any other kind.
    static FieldValue ofReal(char kind, double value);
    /// A decimal ('D'): value scaled down by 10^decimals.
    static FieldValue ofDecimal(std::uint8_t decimals, std::int64_t value);
    /// An array ('A') of values.
    static FieldValue ofArray(std::vector<FieldValue> values);
    /// A nested table ('F') of entries, in wire order.
    static FieldValue ofTable(std::vector<FieldEntry> entries);
    /// Void ('V'), the same as a default-constructed FieldValue.
    static FieldValue ofVoid();

    bool isString() const noexcept { return kind == 'S'; }
    bool isInteger() const noexcept;

    bool operator==(const FieldValue&) const;
};

struct MSGBUS_API FieldEntry {
    std::string key;
    FieldValue value;
    bool operator==(const FieldEntry&) const = default;
};

/// An AMQP field table in wire order.
using FieldTable = std::vector<FieldEntry>;

/// The first entry named key, or nullptr.
MSGBUS_API const FieldValue* findField(const FieldTable& table, std::string_view key) noexcept;
/// Replaces the first entry named key or appends one.
MSGBUS_API void setField(FieldTable& table, std::string_view key, FieldValue value);

} // namespace msgbus
