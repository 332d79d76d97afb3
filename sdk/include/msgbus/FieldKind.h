#pragma once

#include "msgbus/Export.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace msgbus {

/// The wire type of an AMQP 0-9-1 field value (a header, an array element, a nested table's
/// entry). Each enumerator's value is its type tag on the wire as RabbitMQ and rabbitmq-c write
/// it (the AMQP 0-9-1 errata table, not the original specification's), so a FieldKind is one
/// byte, the same byte FieldValue::kind held as a char before the enumeration existed.
///
/// A FieldKind converted from a byte without findFieldKind() can hold a value that is no
/// enumerator; findFieldKind() returns nullptr for it, and every reader and writer of field
/// values refuses it.
enum class FieldKind : char {
    Boolean = 't',
    Int8 = 'b',
    UInt8 = 'B',
    Int16 = 's',
    UInt16 = 'u',
    Int32 = 'I',
    UInt32 = 'i',
    Int64 = 'l',
    UInt64 = 'L',    ///< kept in FieldValue::integer's bits
    Float = 'f',     ///< kept in FieldValue::real
    Double = 'd',    ///< kept in FieldValue::real
    Decimal = 'D',   ///< FieldValue::integer (unsigned 32 bits) scaled down by 10^decimals
    String = 'S',    ///< a long string: any bytes, kept in FieldValue::text
    Bytes = 'x',     ///< a byte array, kept in FieldValue::text
    Timestamp = 'T', ///< seconds since the epoch, a uint64 on the wire
    Array = 'A',
    Table = 'F',
    Void = 'V',
};

/// What a kind's value is, which decides the FieldValue members that hold it and how a text
/// form (JSON, a Message header) writes it. Integer kinds differ only in their range;
/// Timestamp is an integer too but a point in time, not a number (FieldValue::isInteger()
/// is false for it).
enum class FieldCategory : std::uint8_t {
    Boolean,   ///< FieldValue::boolean
    Integer,   ///< FieldValue::integer
    Timestamp, ///< FieldValue::integer
    Real,      ///< FieldValue::real
    Decimal,   ///< FieldValue::integer and FieldValue::decimals
    String,    ///< FieldValue::text
    Bytes,     ///< FieldValue::text
    Array,     ///< FieldValue::array
    Table,     ///< FieldValue::table
    Void,      ///< nothing
};

/// Everything msgbus needs to know about one FieldKind, in one place.
struct FieldKindTraits {
    FieldKind kind;
    char byte;             ///< the type tag on the wire
    std::string_view name; ///< for messages: "int32", "byte array"
    FieldCategory category;
    /// Bytes after the tag on the wire: the whole value for a fixed-size kind, the length
    /// prefix for a string, a byte array, an array or a table (their content comes on top).
    std::uint8_t wireSize;
    /// The range FieldValue::integer must be in for Integer, Timestamp and Decimal kinds;
    /// 0..0 for the others.
    std::int64_t min;
    std::int64_t max;
    /// UInt64 only: FieldValue::integer holds a uint64's bits, so any int64 is valid and its
    /// text form is the unsigned number.
    bool uint64Bits;
};

/// Every field kind, in the order of RabbitMQ's table of type tags.
inline constexpr std::array<FieldKindTraits, 18> fieldKinds{{
    {FieldKind::Boolean, 't', "boolean", FieldCategory::Boolean, 1, 0, 0, false},
    {FieldKind::Int8, 'b', "int8", FieldCategory::Integer, 1, INT8_MIN, INT8_MAX, false},
    {FieldKind::UInt8, 'B', "uint8", FieldCategory::Integer, 1, 0, UINT8_MAX, false},
    {FieldKind::Int16, 's', "int16", FieldCategory::Integer, 2, INT16_MIN, INT16_MAX, false},
    {FieldKind::UInt16, 'u', "uint16", FieldCategory::Integer, 2, 0, UINT16_MAX, false},
    {FieldKind::Int32, 'I', "int32", FieldCategory::Integer, 4, INT32_MIN, INT32_MAX, false},
    {FieldKind::UInt32, 'i', "uint32", FieldCategory::Integer, 4, 0, UINT32_MAX, false},
    {FieldKind::Int64, 'l', "int64", FieldCategory::Integer, 8, INT64_MIN, INT64_MAX, false},
    {FieldKind::UInt64, 'L', "uint64", FieldCategory::Integer, 8, INT64_MIN, INT64_MAX, true},
    {FieldKind::Float, 'f', "float", FieldCategory::Real, 4, 0, 0, false},
    {FieldKind::Double, 'd', "double", FieldCategory::Real, 8, 0, 0, false},
    {FieldKind::Decimal, 'D', "decimal", FieldCategory::Decimal, 5, 0, UINT32_MAX, false},
    {FieldKind::String, 'S', "string", FieldCategory::String, 4, 0, 0, false},
    {FieldKind::Bytes, 'x', "byte array", FieldCategory::Bytes, 4, 0, 0, false},
    {FieldKind::Timestamp, 'T', "timestamp", FieldCategory::Timestamp, 8, INT64_MIN, INT64_MAX,
     false},
    {FieldKind::Array, 'A', "array", FieldCategory::Array, 4, 0, 0, false},
    {FieldKind::Table, 'F', "table", FieldCategory::Table, 4, 0, 0, false},
    {FieldKind::Void, 'V', "void", FieldCategory::Void, 0, 0, 0, false},
}};

/// The traits of the kind whose wire tag is byte, or nullptr when no kind has that tag.
constexpr const FieldKindTraits* findFieldKindByte(char byte) noexcept {
    for (const FieldKindTraits& traits : fieldKinds)
        if (traits.byte == byte)
            return &traits;
    return nullptr;
}

/// The traits of kind, or nullptr when kind is no enumerator (converted from an unchecked
/// byte).
constexpr const FieldKindTraits* findFieldKind(FieldKind kind) noexcept {
    return findFieldKindByte(static_cast<char>(kind));
}

/// kind's wire tag; also for a value that is no enumerator, for messages about it.
constexpr char fieldKindByte(FieldKind kind) noexcept {
    return static_cast<char>(kind);
}

/// True when value is in the range of an Integer, Timestamp or Decimal kind (see
/// FieldKindTraits::min).
constexpr bool fitsFieldKind(const FieldKindTraits& traits, std::int64_t value) noexcept {
    return value >= traits.min && value <= traits.max;
}

/// "int32 (AMQP type 'I')": the name for readers, the tag for whoever looks at the wire;
/// "unknown type (AMQP type '?')" for a value that is no enumerator.
MSGBUS_API std::string describeFieldKind(FieldKind kind);

// The enumerators' values and the table's tags are written twice above: they must agree, and
// no two kinds may share a tag.
static_assert(
    [] {
        for (std::size_t i = 0; i < fieldKinds.size(); ++i) {
            if (static_cast<char>(fieldKinds[i].kind) != fieldKinds[i].byte)
                return false;
            for (std::size_t k = i + 1; k < fieldKinds.size(); ++k)
                if (fieldKinds[i].byte == fieldKinds[k].byte)
                    return false;
        }
        return true;
    }(),
    "every FieldKind's value is its own, unique wire tag");

} // namespace msgbus
