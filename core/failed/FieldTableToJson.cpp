// fieldTableToJson: the writing half of the failed table's header format (FieldTableJson.h).
#include "core/failed/FieldTableJson.h"

#include "core/util/Base64.h"
#include "core/util/FieldValueCheck.h"
#include "core/util/Utf8Text.h"

#include <msgbus/internal/Json.h>

#include <charconv>
#include <cmath>
#include <cstdint>

namespace msgbus::core {

namespace {

template <typename T> std::string shortestNumber(T value) {
    if (std::isnan(value))
        return "\"NaN\"";
    if (std::isinf(value))
        return value > 0 ? "\"Infinity\"" : "\"-Infinity\"";
    char buffer[64];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    std::string text(buffer, result.ptr);
    // A bare integer would read back as an integer (and -0 as 0): keep it a real number.
    if (text.find_first_of(".e") == std::string::npos)
        text += ".0";
    return text;
}

void writeValue(std::string& out, const FieldValue& value, const std::string& path);
void writeTable(std::string& out, const FieldTable& table, const std::string& path);

void writeArray(std::string& out, const std::vector<FieldValue>& array, const std::string& path) {
    out += "[";
    for (std::size_t i = 0; i < array.size(); ++i) {
        if (i)
            out += ",";
        writeValue(out, array[i], elementPath(path, i));
    }
    out += "]";
}

// The member's value in {"<kind>": value}.
void writeMember(std::string& out, const FieldValue& value, const FieldKindTraits& traits,
                 const std::string& path) {
    switch (traits.category) {
    case FieldCategory::Boolean:
        out += value.boolean ? "true" : "false";
        break;
    case FieldCategory::Integer:
    case FieldCategory::Timestamp:
        requireInRange(value, traits, path);
        out += traits.uint64Bits ? std::to_string(static_cast<std::uint64_t>(value.integer))
                                 : std::to_string(value.integer);
        break;
    case FieldCategory::Real:
        out += value.kind == FieldKind::Float ? shortestNumber(static_cast<float>(value.real))
                                              : shortestNumber(value.real);
        break;
    case FieldCategory::Decimal:
        requireInRange(value, traits, path);
        out += "[" + std::to_string(value.decimals) + "," + std::to_string(value.integer) + "]";
        break;
    case FieldCategory::String:
        out += msgbus::json::quote(value.text);
        break;
    case FieldCategory::Bytes:
        // Appended piece by piece: GCC 12 -O2 reports a false -Wrestrict for
        // "literal" + std::string&& here.
        out += '"';
        out += base64Encode(value.text);
        out += '"';
        break;
    case FieldCategory::Array:
        writeArray(out, value.array, path);
        break;
    case FieldCategory::Table:
        writeTable(out, value.table, path);
        break;
    case FieldCategory::Void:
        out += "null";
        break;
    }
}

void writeValue(std::string& out, const FieldValue& value, const std::string& path) {
    const FieldKindTraits& traits = requireKnownKind(value, path);
    if (value.kind == FieldKind::String && !msgbus::json::isValidUtf8(value.text)) {
        out += "{\"S64\":\"" + base64Encode(value.text) + "\"}";
        return;
    }
    out += "{\"";
    out += traits.byte;
    out += "\":";
    writeMember(out, value, traits, path);
    out += "}";
}

void writeTable(std::string& out, const FieldTable& table, const std::string& path) {
    out += "{";
    bool first = true;
    for (const FieldEntry& entry : table) {
        if (!first)
            out += ",";
        first = false;
        const std::string where = entryPath(path, entry.key);
        if (msgbus::json::isValidUtf8(entry.key)) {
            out += msgbus::json::quote(entry.key) + ":";
            writeValue(out, entry.value, where);
        } else {
            out += msgbus::json::quote(lossyUtf8(entry.key)) + ":";
            std::string value;
            writeValue(value, entry.value, where);
            // Insert "k64" as the second member of the one-member value object.
            value.pop_back();
            out += value + ",\"k64\":\"" + base64Encode(entry.key) + "\"}";
        }
    }
    out += "}";
}

} // namespace

std::string fieldTableToJson(const FieldTable& table) {
    std::string out;
    writeTable(out, table, "header");
    return out;
}

} // namespace msgbus::core
