#include "core/amqp/FieldTableJson.h"

#include "core/util/Utf8Text.h"

#include <msgbus/Error.h>
#include <msgbus/Json.h>

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

namespace msgbus::core::amqp {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64Encode(const std::string& bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16 |
                          static_cast<unsigned char>(bytes[i + 1]) << 8 |
                          static_cast<unsigned char>(bytes[i + 2]);
        out += kBase64[n >> 18];
        out += kBase64[(n >> 12) & 63];
        out += kBase64[(n >> 6) & 63];
        out += kBase64[n & 63];
    }
    if (std::size_t rest = bytes.size() - i; rest > 0) {
        std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
        if (rest == 2)
            n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        out += kBase64[n >> 18];
        out += kBase64[(n >> 12) & 63];
        out += rest == 2 ? kBase64[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

int base64Value(char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

// Strict: padded, no whitespace, nothing outside the alphabet (what base64Encode writes).
std::string base64Decode(const std::string& text, const std::string& where) {
    if (text.size() % 4 != 0)
        throw InvalidArgument(where + ": invalid base64 (length not a multiple of 4)");
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        bool last = i + 4 == text.size();
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            char c = text[i + k];
            if (c == '=' && last && k >= 2 && (k == 3 || text[i + 3] == '=')) {
                v[k] = 0;
                ++pad;
                continue;
            }
            v[k] = base64Value(c);
            if (v[k] < 0 || pad > 0)
                throw InvalidArgument(where + ": invalid base64 character");
        }
        std::uint32_t n = static_cast<std::uint32_t>(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
        out += static_cast<char>(n >> 16);
        if (pad < 2)
            out += static_cast<char>((n >> 8) & 0xff);
        if (pad < 1)
            out += static_cast<char>(n & 0xff);
    }
    return out;
}

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

struct Range {
    std::int64_t min;
    std::int64_t max;
};

bool integerRange(char kind, Range& range) {
    switch (kind) {
    case 'b':
        range = {INT8_MIN, INT8_MAX};
        return true;
    case 'B':
        range = {0, UINT8_MAX};
        return true;
    case 's':
        range = {INT16_MIN, INT16_MAX};
        return true;
    case 'u':
        range = {0, UINT16_MAX};
        return true;
    case 'I':
        range = {INT32_MIN, INT32_MAX};
        return true;
    case 'i':
        range = {0, UINT32_MAX};
        return true;
    case 'l':
    case 'T':
        range = {INT64_MIN, INT64_MAX};
        return true;
    default:
        return false;
    }
}

void writeTable(std::string& out, const FieldTable& table, const std::string& path);

void writeValue(std::string& out, const FieldValue& value, const std::string& path) {
    out += "{\"";
    Range range{};
    if (value.kind == 'S' && !msgbus::json::isValidUtf8(value.text)) {
        out += "S64\":\"" + base64Encode(value.text) + "\"}";
        return;
    }
    out += value.kind;
    out += "\":";
    if (integerRange(value.kind, range)) {
        if (value.integer < range.min || value.integer > range.max)
            throw InvalidArgument(path + ": value " + std::to_string(value.integer) +
                                  " does not fit AMQP field kind '" + std::string(1, value.kind) +
                                  "'");
        out += std::to_string(value.integer);
    } else {
        switch (value.kind) {
        case 't':
            out += value.boolean ? "true" : "false";
            break;
        case 'L':
            out += std::to_string(static_cast<std::uint64_t>(value.integer));
            break;
        case 'f':
            out += shortestNumber(static_cast<float>(value.real));
            break;
        case 'd':
            out += shortestNumber(value.real);
            break;
        case 'D':
            if (value.integer < 0 || value.integer > UINT32_MAX)
                throw InvalidArgument(path + ": decimal value " + std::to_string(value.integer) +
                                      " does not fit 32 unsigned bits");
            out += "[" + std::to_string(value.decimals) + "," + std::to_string(value.integer) + "]";
            break;
        case 'S':
            out += msgbus::json::quote(value.text);
            break;
        case 'x':
            // Appended piece by piece: GCC 12 -O2 reports a false -Wrestrict for
            // "literal" + std::string&& here.
            out += '"';
            out += base64Encode(value.text);
            out += '"';
            break;
        case 'A':
            out += "[";
            for (std::size_t i = 0; i < value.array.size(); ++i) {
                if (i)
                    out += ",";
                writeValue(out, value.array[i], path + "[" + std::to_string(i) + "]");
            }
            out += "]";
            break;
        case 'F':
            writeTable(out, value.table, path);
            break;
        case 'V':
            out += "null";
            break;
        default:
            throw InvalidArgument(path + ": unknown AMQP field kind '" +
                                  std::string(1, value.kind) + "'");
        }
    }
    out += "}";
}

void writeTable(std::string& out, const FieldTable& table, const std::string& path) {
    out += "{";
    bool first = true;
    for (const FieldEntry& entry : table) {
        if (!first)
            out += ",";
        first = false;
        std::string entryPath = path + " '" + entry.key + "'";
        if (msgbus::json::isValidUtf8(entry.key)) {
            out += msgbus::json::quote(entry.key) + ":";
            writeValue(out, entry.value, entryPath);
        } else {
            out += msgbus::json::quote(lossyUtf8(entry.key)) + ":";
            std::string value;
            writeValue(value, entry.value, entryPath);
            // Insert "k64" as the second member of the one-member value object.
            value.pop_back();
            out += value + ",\"k64\":\"" + base64Encode(entry.key) + "\"}";
        }
    }
    out += "}";
}

// Reading ------------------------------------------------------------------------------------

FieldTable readTable(const Object::Ptr& object, const std::string& path);

// Poco's Var calls a bool an integer and a number; JSON does not.
bool isJsonInteger(const Var& v) {
    return v.isInteger() && v.type() != typeid(bool);
}

std::int64_t readSigned(const Var& v, const std::string& path) {
    if (!isJsonInteger(v))
        throw InvalidArgument(path + ": an integer is required");
    try {
        return v.convert<Poco::Int64>();
    } catch (const Poco::Exception&) {
        throw InvalidArgument(path + ": integer out of range");
    }
}

std::uint64_t readUnsigned(const Var& v, const std::string& path) {
    if (!isJsonInteger(v))
        throw InvalidArgument(path + ": an integer is required");
    try {
        return v.convert<Poco::UInt64>();
    } catch (const Poco::Exception&) {
        throw InvalidArgument(path + ": integer out of range (0..18446744073709551615)");
    }
}

double readReal(const Var& v, const std::string& path) {
    if (v.isString()) {
        std::string s = v.extract<std::string>();
        if (s == "NaN")
            return std::numeric_limits<double>::quiet_NaN();
        if (s == "Infinity")
            return std::numeric_limits<double>::infinity();
        if (s == "-Infinity")
            return -std::numeric_limits<double>::infinity();
        throw InvalidArgument(path + ": a number, \"NaN\", \"Infinity\" or \"-Infinity\" is "
                                     "required");
    }
    if (!v.isNumeric() || v.type() == typeid(bool))
        throw InvalidArgument(path + ": a number is required");
    return v.convert<double>();
}

std::string readString(const Var& v, const std::string& path) {
    if (!v.isString())
        throw InvalidArgument(path + ": a string is required");
    return v.extract<std::string>();
}

FieldValue readValue(const Var& var, const std::string& path) {
    if (var.type() != typeid(Object::Ptr))
        throw InvalidArgument(path + ": a one-member object {\"<kind>\": value} is required");
    Object::Ptr object = var.extract<Object::Ptr>();
    std::vector<std::string> names;
    object->getNames(names);
    std::string kindName;
    for (const std::string& name : names) {
        if (name == "k64")
            continue;
        if (!kindName.empty())
            throw InvalidArgument(path + ": more than one kind ('" + kindName + "', '" + name +
                                  "')");
        kindName = name;
    }
    if (kindName.empty())
        throw InvalidArgument(path + ": no kind given");
    const Var v = object->get(kindName);

    FieldValue value;
    if (kindName == "S64") {
        value.kind = 'S';
        value.text = base64Decode(readString(v, path), path);
        return value;
    }
    if (kindName.size() != 1)
        throw InvalidArgument(path + ": unknown kind '" + kindName + "'");
    value.kind = kindName[0];
    Range range{};
    if (integerRange(value.kind, range)) {
        std::int64_t n = readSigned(v, path);
        if (n < range.min || n > range.max)
            throw InvalidArgument(path + ": value " + std::to_string(n) + " out of range for '" +
                                  kindName + "'");
        value.integer = n;
        return value;
    }
    switch (value.kind) {
    case 't':
        if (v.type() != typeid(bool))
            throw InvalidArgument(path + ": true or false is required");
        value.boolean = v.extract<bool>();
        break;
    case 'L':
        value.integer = static_cast<std::int64_t>(readUnsigned(v, path));
        break;
    case 'f': {
        double d = readReal(v, path);
        auto f = static_cast<float>(d);
        // FLT_MAX itself is written as 3.4028235e+38, a hair above it: only a value that
        // rounds to infinity is out of range.
        if (std::isfinite(d) && std::isinf(f))
            throw InvalidArgument(path + ": value out of range for 'f'");
        value.real = f;
        break;
    }
    case 'd':
        value.real = readReal(v, path);
        break;
    case 'D': {
        if (v.type() != typeid(Array::Ptr))
            throw InvalidArgument(path + ": [decimals, value] is required");
        Array::Ptr pair = v.extract<Array::Ptr>();
        if (pair->size() != 2)
            throw InvalidArgument(path + ": [decimals, value] is required");
        std::int64_t decimals = readSigned(pair->get(0), path + " decimals");
        std::int64_t n = readSigned(pair->get(1), path + " value");
        if (decimals < 0 || decimals > UINT8_MAX || n < 0 || n > UINT32_MAX)
            throw InvalidArgument(path + ": decimals must be 0..255 and value 0..4294967295");
        value.decimals = static_cast<std::uint8_t>(decimals);
        value.integer = n;
        break;
    }
    case 'S':
        value.text = readString(v, path);
        break;
    case 'x':
        value.text = base64Decode(readString(v, path), path);
        break;
    case 'A': {
        if (v.type() != typeid(Array::Ptr))
            throw InvalidArgument(path + ": an array is required");
        Array::Ptr array = v.extract<Array::Ptr>();
        for (std::size_t i = 0; i < array->size(); ++i)
            value.array.push_back(readValue(array->get(static_cast<unsigned>(i)),
                                            path + "[" + std::to_string(i) + "]"));
        break;
    }
    case 'F':
        if (v.type() != typeid(Object::Ptr))
            throw InvalidArgument(path + ": an object is required");
        value.table = readTable(v.extract<Object::Ptr>(), path);
        break;
    case 'V':
        if (!v.isEmpty())
            throw InvalidArgument(path + ": null is required");
        break;
    default:
        throw InvalidArgument(path + ": unknown kind '" + kindName + "'");
    }
    return value;
}

FieldTable readTable(const Object::Ptr& object, const std::string& path) {
    FieldTable table;
    std::vector<std::string> names;
    object->getNames(names);
    for (const std::string& name : names) {
        std::string entryPath = path + " '" + name + "'";
        const Var var = object->get(name);
        std::string key = name;
        if (var.type() == typeid(Object::Ptr)) {
            Object::Ptr valueObject = var.extract<Object::Ptr>();
            if (valueObject->has("k64"))
                key = base64Decode(readString(valueObject->get("k64"), entryPath + " k64"),
                                   entryPath + " k64");
        }
        table.push_back(FieldEntry{std::move(key), readValue(var, entryPath)});
    }
    return table;
}

// Poco 1.11's JSON parser wraps some integer literals just above the 64-bit range instead of
// failing (18446744073709551616 reads as 0), so such literals are refused before parsing.
void checkIntegerLiterals(const std::string& json) {
    static const std::string kMaxUnsigned = "18446744073709551615";
    static const std::string kMaxNegative = "9223372036854775808";
    bool inString = false;
    for (std::size_t i = 0; i < json.size(); ++i) {
        char c = json[i];
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
            continue;
        }
        if (c == '"') {
            inString = true;
            continue;
        }
        if (c != '-' && !(c >= '0' && c <= '9'))
            continue;
        bool negative = c == '-';
        std::size_t start = negative ? i + 1 : i;
        std::size_t end = start;
        while (end < json.size() && json[end] >= '0' && json[end] <= '9')
            ++end;
        bool integral =
            end >= json.size() || (json[end] != '.' && json[end] != 'e' && json[end] != 'E');
        std::string digits = json.substr(start, end - start);
        digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size()));
        const std::string& limit = negative ? kMaxNegative : kMaxUnsigned;
        if (integral &&
            (digits.size() > limit.size() || (digits.size() == limit.size() && digits > limit)))
            throw InvalidArgument("header JSON: integer " + json.substr(i, end - i) +
                                  " is outside the 64-bit range");
        i = end > i ? end - 1 : i;
    }
}

} // namespace

std::string fieldTableToJson(const FieldTable& table) {
    std::string out;
    writeTable(out, table, "header");
    return out;
}

FieldTable fieldTableFromJson(const std::string& json) {
    checkIntegerLiterals(json);
    Var root;
    try {
        // true: keep the members in document order (wire order of the headers).
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        root = parser.parse(json);
    } catch (const Poco::Exception& e) {
        throw InvalidArgument("header JSON: not valid JSON (" + e.displayText() + ")");
    } catch (const std::exception& e) {
        throw InvalidArgument(std::string("header JSON: not valid JSON (") + e.what() + ")");
    }
    if (root.type() != typeid(Object::Ptr))
        throw InvalidArgument("header JSON: a JSON object is required");
    try {
        return readTable(root.extract<Object::Ptr>(), "header");
    } catch (const Poco::Exception& e) {
        // Var conversions throw Poco exceptions; keep the promise of InvalidArgument only.
        throw InvalidArgument("header JSON: " + e.displayText());
    }
}

} // namespace msgbus::core::amqp
