#include "JsonSerializer.h"

#include <msgbus/Error.h>
#include <msgbus/Json.h>
#include <msgbus/MessageName.h>
#include <msgbus/PrintableText.h>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

namespace msgbus::plugins {
namespace {

constexpr std::string_view headerId = "x-message-id";
constexpr std::string_view headerName = "x-message-name";
constexpr std::string_view headerCreatedAt = "x-created-at";
constexpr std::string_view headerPartitionKey = "x-partition-key";
constexpr std::string_view headerType = "type";
constexpr std::string_view headerContentType = "Content-Type";
constexpr std::string_view stampPrefix = "X-Message-Stamp-";
constexpr std::string_view idStampClass = "MessageIdStamp";
constexpr std::string_view nameStampClass = "MessageNameStamp";
constexpr std::string_view contentTypeJson = "application/json";

constexpr std::string_view keyStyle = "style";
constexpr std::string_view keyMaxBodyBytes = "max_body_bytes";
constexpr std::string_view keySymfonyNamespace = "symfony_namespace";

char lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

bool startsWithIgnoreCase(std::string_view text, std::string_view prefix) noexcept {
    return text.size() >= prefix.size() && equalsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

bool isStampHeader(std::string_view key) noexcept {
    return startsWithIgnoreCase(key, stampPrefix);
}

// "X-Message-Stamp-<Namespace>\MessageIdStamp", or the bare "X-Message-Stamp-MessageIdStamp"
// the Freyr guide shows.
bool isIdStampHeader(std::string_view key) noexcept {
    if (!isStampHeader(key))
        return false;
    std::string_view cls = key.substr(stampPrefix.size());
    if (cls == idStampClass)
        return true;
    return cls.size() > idStampClass.size() && cls.ends_with(idStampClass) &&
           cls[cls.size() - idStampClass.size() - 1] == '\\';
}

bool isReservedHeader(std::string_view key) noexcept {
    return key == headerId || key == headerName || key == headerCreatedAt ||
           key == headerPartitionKey || key == headerType ||
           equalsIgnoreCase(key, headerContentType) || isStampHeader(key);
}

const char* kindName(char kind) noexcept {
    switch (kind) {
    case 't':
        return "boolean";
    case 'b':
        return "int8";
    case 'B':
        return "uint8";
    case 's':
        return "int16";
    case 'u':
        return "uint16";
    case 'I':
        return "int32";
    case 'i':
        return "uint32";
    case 'l':
        return "int64";
    case 'L':
        return "uint64";
    case 'f':
        return "float";
    case 'd':
        return "double";
    case 'D':
        return "decimal";
    case 'S':
        return "string";
    case 'x':
        return "byte array";
    case 'T':
        return "timestamp";
    case 'A':
        return "array";
    case 'F':
        return "table";
    case 'V':
        return "void";
    default:
        return "unknown type";
    }
}

// "int32 (AMQP type 'I')": the name for readers, the tag for whoever looks at the wire.
std::string typeName(char kind) {
    return std::string(kindName(kind)) + " (AMQP type '" + std::string(1, kind) + "')";
}

std::string headerField(std::string_view key) {
    return "header " + printableText(key);
}

// The text of a header that must be a string (id, name, stamps). Byte arrays are accepted too:
// some clients send every string as one.
std::string requireStringHeader(std::string_view key, const FieldValue& value) {
    if (value.kind != 'S' && value.kind != 'x')
        throw MalformedMessage(headerField(key),
                               "has " + typeName(value.kind) + ", a string is required");
    return value.text;
}

template <typename Number> std::string decimal(Number value) {
    char buffer[32];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

// A header value as Message header text, or nothing when it has no faithful text form.
std::optional<std::string> headerText(const FieldValue& value) {
    switch (value.kind) {
    case 'S':
    case 'x':
        if (!json::isValidUtf8(value.text))
            return std::nullopt;
        return value.text;
    case 'b':
    case 'B':
    case 's':
    case 'u':
    case 'I':
    case 'i':
    case 'l':
    case 'T':
        return decimal(value.integer);
    case 'L':
        return decimal(static_cast<std::uint64_t>(value.integer));
    case 't':
        return std::string(value.boolean ? "true" : "false");
    case 'f':
        // Printed as a float, so 0.1f reads "0.1", not the digits of its double widening.
        return decimal(static_cast<float>(value.real));
    case 'd':
        return decimal(value.real);
    default:
        return std::nullopt;
    }
}

Id parseId(std::string_view text, const std::string& field) {
    try {
        return Id::parse(text);
    } catch (const InvalidArgument& e) {
        throw MalformedMessage(field, e.what());
    }
}

void checkName(std::string_view name, const std::string& field) {
    try {
        validateMessageName(name);
    } catch (const InvalidArgument& e) {
        throw MalformedMessage(field, printableText(e.what()));
    }
}

// Poco's parser returns a Var holding Object::Ptr / Array::Ptr for containers.
Poco::Dynamic::Var parseJson(const std::string& text) {
    Poco::JSON::Parser parser;
    return parser.parse(text);
}

// The JSON kind of a document that parsed but is not an object, for the error message.
std::string jsonKind(std::string_view text) {
    auto first = text.find_first_not_of(" \t\r\n");
    switch (first == std::string_view::npos ? '\0' : text[first]) {
    case '[':
        return "an array";
    case '"':
        return "a string";
    case 't':
    case 'f':
        return "a boolean";
    case 'n':
        return "null";
    default:
        return "a number";
    }
}

Id idFromStamp(std::string_view key, const FieldValue& value) {
    const std::string field = headerField(key);
    const std::string text = requireStringHeader(key, value);
    const std::string expected = "a JSON array of objects with a string \"messageId\" is required";
    if (!json::isValidUtf8(text))
        throw MalformedMessage(field, "not valid UTF-8; " + expected);
    Poco::JSON::Array::Ptr stamps;
    try {
        auto parsed = parseJson(text);
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

Id readId(const WireMessage& wire) {
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

std::string readName(const WireMessage& wire) {
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

std::int64_t readCreatedAt(const WireMessage& wire) {
    if (const FieldValue* value = wire.header(headerCreatedAt)) {
        if (!value->isInteger())
            throw MalformedMessage(headerField(headerCreatedAt),
                                   "has " + typeName(value->kind) +
                                       ", an integer (epoch milliseconds) is required");
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

std::optional<std::string> readPartitionKey(const WireMessage& wire) {
    const FieldValue* value = wire.header(headerPartitionKey);
    if (!value)
        return std::nullopt;
    auto text = headerText(*value);
    if (!text)
        throw MalformedMessage(headerField(headerPartitionKey),
                               "has " + typeName(value->kind) +
                                   " that is not valid UTF-8 text; a string is required");
    return text;
}

std::int64_t floorSeconds(std::int64_t millis) noexcept {
    return millis >= 0 ? millis / 1000 : -((-(millis + 1)) / 1000) - 1;
}

std::string trim(std::string text) {
    const char* space = " \t\r\n";
    auto first = text.find_first_not_of(space);
    if (first == std::string::npos)
        return {};
    auto last = text.find_last_not_of(space);
    return text.substr(first, last - first + 1);
}

// PHP namespace: identifier segments separated by single backslashes.
bool isPhpNamespace(std::string_view text) noexcept {
    bool atSegmentStart = true;
    for (char c : text) {
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        bool digit = c >= '0' && c <= '9';
        if (c == '\\') {
            if (atSegmentStart)
                return false;
            atSegmentStart = true;
        } else if (atSegmentStart ? letter : (letter || digit)) {
            atSegmentStart = false;
        } else {
            return false;
        }
    }
    return !atSegmentStart;
}

// Every key of the view that holds a value, so a nested typo ("style.x") is caught as well.
void collectKeys(const Poco::Util::AbstractConfiguration& config, const std::string& prefix,
                 std::vector<std::string>& out) {
    Poco::Util::AbstractConfiguration::Keys children;
    config.keys(prefix, children);
    for (const auto& child : children) {
        std::string key = prefix.empty() ? child : prefix + "." + child;
        if (config.hasProperty(key))
            out.push_back(key);
        collectKeys(config, key, out);
    }
}

} // namespace

JsonSerializer::JsonSerializer()
    : _symfonyNamespace(defaultSymfonyNamespace),
      _idStampHeader(std::string(stampPrefix) + defaultSymfonyNamespace + "\\" +
                     std::string(idStampClass)),
      _nameStampHeader(std::string(stampPrefix) + defaultSymfonyNamespace + "\\" +
                       std::string(nameStampClass)) {}

JsonSerializer::~JsonSerializer() = default;

void JsonSerializer::configure(const Poco::Util::AbstractConfiguration& config) {
    std::vector<std::string> keys;
    collectKeys(config, "", keys);
    for (const auto& key : keys)
        if (key != keyStyle && key != keyMaxBodyBytes && key != keySymfonyNamespace)
            throw InvalidArgument(key + ": unknown key (known: style, max_body_bytes, "
                                        "symfony_namespace)");

    Style style = Style::Msgbus;
    const std::string styleText = trim(config.getString(std::string(keyStyle), "msgbus"));
    if (styleText == "symfony")
        style = Style::Symfony;
    else if (styleText != "msgbus")
        throw InvalidArgument("style: '" + styleText +
                              "' is not a valid value; expected 'msgbus' or 'symfony'");

    std::size_t maxBodyBytes = defaultMaxBodyBytes;
    if (config.hasProperty(std::string(keyMaxBodyBytes))) {
        const std::string text = trim(config.getString(std::string(keyMaxBodyBytes)));
        std::uint64_t value = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
            value == 0 || value > std::numeric_limits<std::size_t>::max())
            throw InvalidArgument("max_body_bytes: '" + text +
                                  "' is not a positive integer (bytes, e.g. 1048576)");
        maxBodyBytes = static_cast<std::size_t>(value);
    }

    const std::string ns =
        trim(config.getString(std::string(keySymfonyNamespace), defaultSymfonyNamespace));
    if (!isPhpNamespace(ns))
        throw InvalidArgument("symfony_namespace: '" + ns +
                              "' is not a PHP namespace; expected backslash-separated "
                              "identifiers like 'Freyr\\MessageBroker\\Inbox'");

    // Assigned only once everything is valid: a refused configuration changes nothing.
    _style = style;
    _maxBodyBytes = maxBodyBytes;
    _symfonyNamespace = ns;
    _idStampHeader = std::string(stampPrefix) + ns + "\\" + std::string(idStampClass);
    _nameStampHeader = std::string(stampPrefix) + ns + "\\" + std::string(nameStampClass);
}

void JsonSerializer::checkBody(const std::string& body) const {
    if (body.size() > _maxBodyBytes)
        throw MalformedMessage("body", std::to_string(body.size()) +
                                           " bytes exceeds max_body_bytes (" +
                                           std::to_string(_maxBodyBytes) + " bytes)");
    if (!json::isValidUtf8(body))
        throw MalformedMessage("body", "not valid UTF-8");
    const auto first = body.find_first_not_of(" \t\r\n");
    if (first == std::string::npos)
        throw MalformedMessage("body", "empty; a JSON object is required");
    if (body[first] == '{') {
        try {
            parseJson(body);
        } catch (const Poco::Exception& e) {
            throw MalformedMessage("body",
                                   "not valid JSON (" + printableText(e.displayText()) + ")");
        }
        return;
    }
    // Poco 1.11 refuses any top-level scalar with "Attempt to set value on an empty stack", so
    // a wrapped parse tells "JSON, but not an object" from "not JSON" for the error message.
    try {
        parseJson("[" + body + "]");
    } catch (const Poco::Exception& e) {
        throw MalformedMessage("body", "not valid JSON (" + printableText(e.displayText()) + ")");
    }
    throw MalformedMessage("body", "a JSON object is required, got " + jsonKind(body));
}

WireMessage JsonSerializer::encode(const Message& message) const {
    if (!message.hasId())
        throw MalformedMessage("message id", "the message has no id (ids are minted when a "
                                             "message is written to the outbox)");
    checkName(message.name(), "message name");
    checkBody(message.payload());
    for (const auto& [key, value] : message.headers())
        if (key.empty() || key.size() > 255)
            throw MalformedMessage(headerField(key.substr(0, 80)),
                                   "an AMQP header name must be 1 to 255 bytes, this one has " +
                                       std::to_string(key.size()));

    const std::string id = message.id().toString();
    WireMessage wire;
    wire.body = message.payload();
    wire.properties.contentType = std::string(contentTypeJson);
    wire.properties.deliveryMode = 2;
    wire.properties.messageId = id;
    wire.properties.timestamp = floorSeconds(message.createdAt());
    wire.properties.type = message.name();

    auto& headers = wire.headers;
    headers.reserve(8 + message.headers().size());
    headers.push_back({std::string(headerId), FieldValue::ofString(id)});
    headers.push_back({std::string(headerName), FieldValue::ofString(message.name())});
    headers.push_back({std::string(headerCreatedAt), FieldValue::ofInt64(message.createdAt())});
    if (message.partitionKey())
        headers.push_back(
            {std::string(headerPartitionKey), FieldValue::ofString(*message.partitionKey())});
    if (_style == Style::Symfony) {
        headers.push_back({std::string(headerType), FieldValue::ofString(message.name())});
        headers.push_back(
            {_idStampHeader, FieldValue::ofString("[{\"messageId\":" + json::quote(id) + "}]")});
        headers.push_back(
            {_nameStampHeader,
             FieldValue::ofString("[{\"messageName\":" + json::quote(message.name()) + "}]")});
        headers.push_back(
            {std::string(headerContentType), FieldValue::ofString(std::string(contentTypeJson))});
    }
    for (const auto& [key, value] : message.headers())
        if (!isReservedHeader(key))
            headers.push_back({key, FieldValue::ofString(value)});
    return wire;
}

Message JsonSerializer::decode(const WireMessage& wire) const {
    Message message;
    message.setId(readId(wire));
    message.setName(readName(wire));
    message.setCreatedAt(readCreatedAt(wire));
    if (auto partitionKey = readPartitionKey(wire))
        message.setPartitionKey(std::move(*partitionKey));
    checkBody(wire.body);
    message.setPayload(wire.body);
    for (const auto& entry : wire.headers) {
        if (entry.key.empty() || isReservedHeader(entry.key) || !json::isValidUtf8(entry.key))
            continue;
        if (auto text = headerText(entry.value))
            message.headers().emplace(entry.key, std::move(*text)); // the first of duplicates wins
    }
    return message;
}

} // namespace msgbus::plugins
