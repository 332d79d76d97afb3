// fieldTableFromJson: the reading half of the failed table's header format (FieldTableJson.h).
#include "core/failed/FieldTableJson.h"

#include "core/util/Base64.h"
#include "core/util/FieldValueCheck.h"

#include <msgbus/Error.h>

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

namespace msgbus::core {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

FieldTable readTable(const Object::Ptr& object, const std::string& path);
FieldValue readValue(const Var& var, const std::string& path);

// Poco's Var calls a bool an integer and a number; JSON does not.
bool isJsonInteger(const Var& v) {
    return v.isInteger() && v.type() != typeid(bool);
}

// Int64 or UInt64: Poco's conversion throws when the number does not fit.
template <typename T> T readIntegerAs(const Var& v, const std::string& path, const char* range) {
    if (!isJsonInteger(v))
        throw InvalidArgument(path + ": an integer is required");
    try {
        return v.convert<T>();
    } catch (const Poco::Exception&) {
        throw InvalidArgument(path + ": integer out of range" + range);
    }
}

std::int64_t readSigned(const Var& v, const std::string& path) {
    return readIntegerAs<Poco::Int64>(v, path, "");
}

std::uint64_t readUnsigned(const Var& v, const std::string& path) {
    return readIntegerAs<Poco::UInt64>(v, path, " (0..18446744073709551615)");
}

std::int64_t readInteger(const Var& v, const FieldKindTraits& traits, const std::string& path) {
    if (traits.uint64Bits)
        return static_cast<std::int64_t>(readUnsigned(v, path));
    std::int64_t n = readSigned(v, path);
    if (!fitsFieldKind(traits, n))
        throw InvalidArgument(path + ": value " + std::to_string(n) + " out of range for '" +
                              std::string(1, traits.byte) + "'");
    return n;
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

float readFloat(const Var& v, const std::string& path) {
    double d = readReal(v, path);
    auto f = static_cast<float>(d);
    // FLT_MAX itself is written as 3.4028235e+38, a hair above it: only a value that rounds
    // to infinity is out of range.
    if (std::isfinite(d) && std::isinf(f))
        throw InvalidArgument(path + ": value out of range for 'f'");
    return f;
}

void readDecimal(const Var& v, FieldValue& value, const FieldKindTraits& traits,
                 const std::string& path) {
    if (v.type() != typeid(Array::Ptr))
        throw InvalidArgument(path + ": [decimals, value] is required");
    Array::Ptr pair = v.extract<Array::Ptr>();
    if (pair->size() != 2)
        throw InvalidArgument(path + ": [decimals, value] is required");
    std::int64_t decimals = readSigned(pair->get(0), path + " decimals");
    std::int64_t n = readSigned(pair->get(1), path + " value");
    if (decimals < 0 || decimals > UINT8_MAX || !fitsFieldKind(traits, n))
        throw InvalidArgument(path + ": decimals must be 0..255 and value 0..4294967295");
    value.decimals = static_cast<std::uint8_t>(decimals);
    value.integer = n;
}

std::string readString(const Var& v, const std::string& path) {
    if (!v.isString())
        throw InvalidArgument(path + ": a string is required");
    return v.extract<std::string>();
}

std::vector<FieldValue> readArray(const Var& v, const std::string& path) {
    if (v.type() != typeid(Array::Ptr))
        throw InvalidArgument(path + ": an array is required");
    Array::Ptr array = v.extract<Array::Ptr>();
    std::vector<FieldValue> values;
    for (std::size_t i = 0; i < array->size(); ++i)
        values.push_back(readValue(array->get(static_cast<unsigned>(i)), elementPath(path, i)));
    return values;
}

// Fills the members that hold a value of traits' kind from v, the JSON of {"<kind>": v}.
void readMember(const Var& v, FieldValue& value, const FieldKindTraits& traits,
                const std::string& path) {
    switch (traits.category) {
    case FieldCategory::Boolean:
        if (v.type() != typeid(bool))
            throw InvalidArgument(path + ": true or false is required");
        value.boolean = v.extract<bool>();
        break;
    case FieldCategory::Integer:
    case FieldCategory::Timestamp:
        value.integer = readInteger(v, traits, path);
        break;
    case FieldCategory::Real:
        value.real = traits.kind == FieldKind::Float ? readFloat(v, path) : readReal(v, path);
        break;
    case FieldCategory::Decimal:
        readDecimal(v, value, traits, path);
        break;
    case FieldCategory::String:
        value.text = readString(v, path);
        break;
    case FieldCategory::Bytes:
        value.text = base64DecodeStrict(readString(v, path), path);
        break;
    case FieldCategory::Array:
        value.array = readArray(v, path);
        break;
    case FieldCategory::Table:
        if (v.type() != typeid(Object::Ptr))
            throw InvalidArgument(path + ": an object is required");
        value.table = readTable(v.extract<Object::Ptr>(), path);
        break;
    case FieldCategory::Void:
        if (!v.isEmpty())
            throw InvalidArgument(path + ": null is required");
        break;
    }
}

// The kind name and its value of {"<kind>": value}; a "k64" member (the entry's real name)
// may stand beside it.
std::pair<std::string, Var> kindMember(const Var& var, const std::string& path) {
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
    Var value = object->get(kindName);
    return {std::move(kindName), std::move(value)};
}

FieldValue readValue(const Var& var, const std::string& path) {
    const auto [kindName, v] = kindMember(var, path);
    if (kindName == "S64")
        return FieldValue::ofString(base64DecodeStrict(readString(v, path), path));
    const FieldKindTraits* traits = kindName.size() == 1 ? findFieldKindByte(kindName[0]) : nullptr;
    if (!traits)
        throw InvalidArgument(path + ": unknown kind '" + kindName + "'");
    FieldValue value;
    value.kind = traits->kind;
    readMember(v, value, *traits, path);
    return value;
}

FieldTable readTable(const Object::Ptr& object, const std::string& path) {
    FieldTable table;
    std::vector<std::string> names;
    object->getNames(names);
    for (const std::string& name : names) {
        const std::string where = entryPath(path, name);
        const Var var = object->get(name);
        std::string key = name;
        if (var.type() == typeid(Object::Ptr)) {
            Object::Ptr valueObject = var.extract<Object::Ptr>();
            if (valueObject->has("k64"))
                key = base64DecodeStrict(readString(valueObject->get("k64"), where + " k64"),
                                         where + " k64");
        }
        table.push_back(FieldEntry{std::move(key), readValue(var, where)});
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

} // namespace msgbus::core
