#include "EnvelopeReader.h"

#include "Envelope.h"

#include <msgbus/Error.h>
#include <msgbus/internal/Json.h>
#include <msgbus/internal/PrintableText.h>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <charconv>
#include <limits>
#include <string_view>

namespace msgbus::plugins {

using namespace envelope;

namespace {

// The text of a header that must be a string (id, name, stamps). Byte arrays are accepted too:
// some clients send every string as one.
std::string requireStringHeader(std::string_view key, const FieldValue& value) {
    if (value.kind != FieldKind::String && value.kind != FieldKind::Bytes)
        throw MalformedMessage(headerField(key),
                               "has " + describeFieldKind(value.kind) + ", a string is required");
    return value.text;
}

template <typename Number> std::string decimal(Number value) {
    char buffer[32];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

Id parseId(std::string_view text, const std::string& field) {
    try {
        return Id::parse(text);
    } catch (const InvalidArgument& e) {
        throw MalformedMessage(field, e.what());
    }
}

Poco::JSON::Array::Ptr parseStamps(const std::string& text, const std::string& field,
                                   const std::string& expected) {
    if (!json::isValidUtf8(text))
        throw MalformedMessage(field, "not valid UTF-8; " + expected);
    Poco::JSON::Array::Ptr stamps;
    try {
        Poco::JSON::Parser parser;
        auto parsed = parser.parse(text);
        if (parsed.type() == typeid(Poco::JSON::Array::Ptr))
            stamps = parsed.extract<Poco::JSON::Array::Ptr>();
    } catch (const Poco::Exception& e) {
        throw MalformedMessage(field, "not valid JSON (" + printableText(e.displayText()) + "); " +
                                          expected);
    }
    if (!stamps)
        throw MalformedMessage(field, "not a JSON array; " + expected);
    if (stamps->size() == 0)
        throw MalformedMessage(field, "an empty array holds no message id; " + expected);
    return stamps;
}

Id idFromStamp(std::string_view key, const FieldValue& value) {
    const std::string field = headerField(key);
    const std::string expected = "a JSON array of objects with a string \"messageId\" is required";
    const auto stamps = parseStamps(requireStringHeader(key, value), field, expected);
    std::string id;
    for (std::size_t i = 0; i < stamps->size(); ++i) {
        auto stamp = stamps->getObject(static_cast<unsigned>(i));
        if (!stamp)
            throw MalformedMessage(field, "element " + std::to_string(i) +
                                              " is not a JSON object; " + expected);
        auto messageId = stamp->get("messageId");
        if (!messageId.isString())
            throw MalformedMessage(field, "element " + std::to_string(i) +
                                              " has no string \"messageId\"; " + expected);
        // Symfony's Envelope::last() reads the newest stamp: the last element.
        id = messageId.extract<std::string>();
    }
    return parseId(id, field);
}

} // namespace

Id EnvelopeReader::id(const WireMessage& wire) {
    if (const FieldValue* value = wire.header(headerId))
        return parseId(requireStringHeader(headerId, *value), headerField(headerId));
    for (const auto& entry : wire.headers)
        if (isIdStampHeader(entry.key))
            return idFromStamp(entry.key, entry.value);
    if (wire.properties.messageId && !wire.properties.messageId->empty())
        return parseId(*wire.properties.messageId, "property message_id");
    throw MalformedMessage("message id",
                           "none found: looked at header x-message-id, a header "
                           "X-Message-Stamp-<Namespace>\\MessageIdStamp and property message_id");
}

std::string EnvelopeReader::name(const WireMessage& wire) {
    std::string name;
    std::string field;
    if (const FieldValue* value = wire.header(headerName)) {
        field = headerField(headerName);
        name = requireStringHeader(headerName, *value);
    } else if (wire.properties.type && !wire.properties.type->empty()) {
        field = "property type";
        name = *wire.properties.type;
    } else if (const FieldValue* value = wire.header(headerType)) {
        field = headerField(headerType);
        name = requireStringHeader(headerType, *value);
    } else {
        throw MalformedMessage("message name", "none found: looked at header x-message-name, "
                                               "property type and header type");
    }
    checkName(name, field);
    return name;
}

std::int64_t EnvelopeReader::createdAt(const WireMessage& wire) {
    if (const FieldValue* value = wire.header(headerCreatedAt)) {
        if (!value->isInteger())
            throw MalformedMessage(headerField(headerCreatedAt),
                                   "has " + describeFieldKind(value->kind) +
                                       ", an integer (epoch milliseconds) is required");
        // A uint64 keeps its bits in the signed field: above INT64_MAX it would read as a
        // time before 1970 instead of being refused.
        if (value->kind == FieldKind::UInt64 && value->integer < 0)
            throw MalformedMessage(headerField(headerCreatedAt),
                                   decimal(static_cast<std::uint64_t>(value->integer)) +
                                       " is out of range for epoch milliseconds");
        return value->integer;
    }
    if (wire.properties.timestamp) {
        constexpr std::int64_t limit = std::numeric_limits<std::int64_t>::max() / 1000;
        std::int64_t seconds = *wire.properties.timestamp;
        if (seconds > limit || seconds < -limit)
            throw MalformedMessage("property timestamp",
                                   decimal(seconds) + " seconds is out of range");
        return seconds * 1000;
    }
    return 0;
}

std::optional<std::string> EnvelopeReader::partitionKey(const WireMessage& wire) {
    const FieldValue* value = wire.header(headerPartitionKey);
    if (!value)
        return std::nullopt;
    auto text = headerText(*value);
    if (!text)
        throw MalformedMessage(headerField(headerPartitionKey),
                               "has " + describeFieldKind(value->kind) +
                                   " that is not valid UTF-8 text; a string is required");
    return text;
}

std::optional<std::string> EnvelopeReader::headerText(const FieldValue& value) {
    const FieldKindTraits* traits = findFieldKind(value.kind);
    if (!traits)
        return std::nullopt;
    switch (traits->category) {
    case FieldCategory::String:
    case FieldCategory::Bytes:
        if (!json::isValidUtf8(value.text))
            return std::nullopt;
        return value.text;
    case FieldCategory::Integer:
    case FieldCategory::Timestamp:
        return traits->uint64Bits ? decimal(static_cast<std::uint64_t>(value.integer))
                                  : decimal(value.integer);
    case FieldCategory::Boolean:
        return std::string(value.boolean ? "true" : "false");
    case FieldCategory::Real:
        // Printed as a float, so 0.1f reads "0.1", not the digits of its double widening.
        return value.kind == FieldKind::Float ? decimal(static_cast<float>(value.real))
                                              : decimal(value.real);
    default:
        return std::nullopt;
    }
}

} // namespace msgbus::plugins
