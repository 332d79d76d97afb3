#pragma once

#include "msgbus/Export.h"
#include "msgbus/FieldKind.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace msgbus {

struct FieldEntry;

/// One AMQP 0-9-1 field value with its wire type kept, so a header read from the broker can be
/// stored (failed table) and re-created byte for byte later.
///
/// kind says which members hold the value (FieldKind.h: its FieldCategory); the others stay at
/// their defaults, which operator== compares too.
struct MSGBUS_API FieldValue {
    FieldKind kind = FieldKind::Void;
    bool boolean = false;
    std::int64_t integer = 0;
    double real = 0;
    std::uint8_t decimals = 0;
    std::string text;              ///< String and Bytes
    std::vector<FieldValue> array; ///< Array
    std::vector<FieldEntry> table; ///< Table

    static FieldValue ofString(std::string value);
    static FieldValue ofBytes(std::string value);
    static FieldValue ofInt64(std::int64_t value);
    static FieldValue ofInt32(std::int32_t value);
    static FieldValue ofBool(bool value);
    static FieldValue ofTimestamp(std::int64_t unixSeconds);
    /// An integer of an Integer kind or a Timestamp (UInt64 keeps a uint64 in value's bits).
    /// The value is stored as given, not range-checked against the kind. Throws
    /// InvalidArgument for any other kind.
    static FieldValue ofInteger(FieldKind kind, std::int64_t value);
    /// A Float or a Double. Throws InvalidArgument for any other kind.
    static FieldValue ofReal(FieldKind kind, double value);
    /// The wire-tag forms of SDK ABI 1, kept so that plugins built against it still load: they
    /// throw InvalidArgument for a byte that is no kind's tag, too.
    [[deprecated("use the FieldKind overload")]] static FieldValue ofInteger(char kind,
                                                                             std::int64_t value);
    [[deprecated("use the FieldKind overload")]] static FieldValue ofReal(char kind, double value);
    /// A Decimal: value scaled down by 10^decimals.
    static FieldValue ofDecimal(std::uint8_t decimals, std::int64_t value);
    /// An Array of values.
    static FieldValue ofArray(std::vector<FieldValue> values);
    /// A nested Table of entries, in wire order.
    static FieldValue ofTable(std::vector<FieldEntry> entries);
    /// Void, the same as a default-constructed FieldValue.
    static FieldValue ofVoid();

    bool isString() const noexcept { return kind == FieldKind::String; }
    /// True for the Integer category (int8 to uint64); false for a Timestamp.
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
