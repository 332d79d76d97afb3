#pragma once

#include <msgbus/FieldValue.h>

#include <string>

namespace msgbus::core {

/// The failed table's `headers` column: an AMQP header table as JSON that keeps every value's
/// wire type, so that a retry re-creates the headers exactly.
///
/// Format: a JSON object whose keys are the header names in wire order; each value is a
/// one-member object `{"<kind>": value}` whose name is the wire tag of the value's FieldKind
/// (FieldKind.h):
///   t true|false; b B s u I i l L an integer (L up to 18446744073709551615); f d a number
///   (or "NaN", "Infinity", "-Infinity", which JSON cannot write as numbers; always with a
///   '.' or an exponent so that -0.0 survives); D [decimals, value]; S a string; x base64;
///   T integer seconds; A an array of such one-member objects; F a nested object of this
///   format; V null.
/// Two escapes keep arbitrary bytes exact although JSON text must be UTF-8:
///   - an 'S' value that is not valid UTF-8 is written {"S64": "<base64>"};
///   - a header name that is not valid UTF-8 is written as its lossy display form (each bad
///     byte as U+FFFD) and its value object gets a second member "k64": the base64 of the
///     real name, which wins when reading.
/// Example: {"x-message-id":{"S":"0190..."},"count":{"l":5},"bin":{"x":"AAE="}}
///
/// A name that appears twice in a table keeps its last value (JSON objects cannot repeat a
/// key; AMQP forbids it too).
///
/// Both functions are pure and thread-safe. fieldTableToJson is in FieldTableToJson.cpp,
/// fieldTableFromJson in FieldTableFromJson.cpp.

/// Throws msgbus::InvalidArgument for a value outside its kind's range or an unknown kind
/// (such a table could not be sent on the wire either).
std::string fieldTableToJson(const msgbus::FieldTable& table);

/// Parses the format above (key order kept). Throws msgbus::InvalidArgument, saying where,
/// on malformed JSON, an unknown kind, a value of the wrong JSON type or out of range, or bad
/// base64.
msgbus::FieldTable fieldTableFromJson(const std::string& json);

} // namespace msgbus::core
