#pragma once

#include <msgbus/FieldValue.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace msgbus::core {

/// What every writer of field values (the wire encoder, the failed-row JSON) refuses alike, and
/// the header path its errors name: `header 'outer' 'inner'[2]`. Pure and thread-safe.

/// value's kind traits. Throws msgbus::InvalidArgument naming path when the kind is no
/// FieldKind enumerator (a FieldKind converted from an unchecked byte).
const msgbus::FieldKindTraits& requireKnownKind(const msgbus::FieldValue& value,
                                                const std::string& path);

/// Throws msgbus::InvalidArgument naming path, the value and the kind's range when the
/// integer of an Integer, Timestamp or Decimal kind is outside that range ('b' 300, 'D' -1):
/// rabbitmq-c would cut it silently to the kind's width.
void requireInRange(const msgbus::FieldValue& value, const msgbus::FieldKindTraits& traits,
                    const std::string& path);

/// The path of a table's entry: path 'key'.
std::string entryPath(const std::string& path, std::string_view key);

/// The path of an array's element: path[index].
std::string elementPath(const std::string& path, std::size_t index);

} // namespace msgbus::core
