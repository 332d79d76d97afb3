#include "JsonSerializer.h"

#include "Envelope.h"
#include "EnvelopeReader.h"

#include <msgbus/Error.h>
#include <msgbus/internal/Json.h>
#include <msgbus/internal/PrintableText.h>

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <charconv>
#include <cstdint>
#include <limits>
#include <string_view>

namespace msgbus::plugins {

using namespace envelope;

namespace {

constexpr std::string_view keyStyle = "style";
constexpr std::string_view keyMaxBodyBytes = "max_body_bytes";
constexpr std::string_view keySymfonyNamespace = "symfony_namespace";

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

} // namespace

JsonSerializer::JsonSerializer()
    : _symfonyNamespace(defaultSymfonyNamespace),
      _idStampHeader(std::string(stampPrefix) + defaultSymfonyNamespace + "\\" +
                     std::string(idStampClass)),
      _nameStampHeader(std::string(stampPrefix) + defaultSymfonyNamespace + "\\" +
                       std::string(nameStampClass)) {}

JsonSerializer::~JsonSerializer() = default;

void JsonSerializer::configure(const Poco::Util::AbstractConfiguration& config) {
    for (const auto& key : configuredKeys(config))
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
    message.setId(EnvelopeReader::id(wire));
    message.setName(EnvelopeReader::name(wire));
    message.setCreatedAt(EnvelopeReader::createdAt(wire));
    if (auto partitionKey = EnvelopeReader::partitionKey(wire))
        message.setPartitionKey(std::move(*partitionKey));
    checkBody(wire.body);
    message.setPayload(wire.body);
    for (const auto& entry : wire.headers) {
        if (entry.key.empty() || isReservedHeader(entry.key) || !json::isValidUtf8(entry.key))
            continue;
        if (auto text = EnvelopeReader::headerText(entry.value))
            message.headers().emplace(entry.key, std::move(*text)); // the first of duplicates wins
    }
    return message;
}

} // namespace msgbus::plugins
