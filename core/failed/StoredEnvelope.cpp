#include "core/failed/StoredEnvelope.h"

#include "core/failed/FieldTableJson.h"
#include "core/util/Base64.h"

#include <msgbus/Error.h>
#include <msgbus/internal/Json.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

namespace msgbus::core {
namespace {

std::string unbase64(const std::string& text, const char* key) {
    auto bytes = base64Decode(text, Base64Padding::Unpadded);
    if (!bytes)
        throw InvalidArgument(std::string("stored envelope: property '") + key +
                              "' has bad base64");
    return std::move(*bytes);
}

// A property that is not valid UTF-8 (a message_id of raw bytes) cannot be a JSON string, and
// a utf8mb4 column would refuse the row: it is kept as {"S64": "<base64>"} instead, exactly.
void addString(std::string& out, const char* key, const std::optional<std::string>& value) {
    if (!value)
        return;
    if (out.size() > 1)
        out += ',';
    out += json::quote(key);
    out += ':';
    if (json::isValidUtf8(*value))
        out += json::quote(*value);
    else
        out += "{\"S64\":\"" + base64Encode(*value, Base64Padding::Unpadded) + "\"}";
}

void addInt(std::string& out, const char* key, const std::optional<std::int64_t>& value) {
    if (!value)
        return;
    if (out.size() > 1)
        out += ',';
    out += json::quote(key);
    out += ':';
    out += std::to_string(*value);
}

std::optional<std::string> getString(const Poco::JSON::Object::Ptr& o, const char* key) {
    if (!o->has(key))
        return std::nullopt;
    if (auto bytes = o->getObject(key))
        return unbase64(bytes->getValue<std::string>("S64"), key);
    return o->getValue<std::string>(key);
}

std::optional<std::int64_t> getInt(const Poco::JSON::Object::Ptr& o, const char* key) {
    if (!o->has(key))
        return std::nullopt;
    return o->getValue<Poco::Int64>(key);
}

} // namespace

std::string envelopeToJson(const WireMessage& wire) {
    const auto& p = wire.properties;
    std::string props = "{";
    addString(props, "content_type", p.contentType);
    addString(props, "content_encoding", p.contentEncoding);
    addInt(props, "delivery_mode",
           p.deliveryMode ? std::optional<std::int64_t>(*p.deliveryMode) : std::nullopt);
    addInt(props, "priority", p.priority ? std::optional<std::int64_t>(*p.priority) : std::nullopt);
    addString(props, "correlation_id", p.correlationId);
    addString(props, "reply_to", p.replyTo);
    addString(props, "expiration", p.expiration);
    addString(props, "message_id", p.messageId);
    addInt(props, "timestamp", p.timestamp);
    addString(props, "type", p.type);
    addString(props, "user_id", p.userId);
    addString(props, "app_id", p.appId);
    props += '}';
    return "{\"properties\":" + props + ",\"headers\":" + fieldTableToJson(wire.headers) + "}";
}

WireMessage envelopeFromJson(const std::string& text, std::string body) {
    WireMessage wire;
    wire.body = std::move(body);
    Poco::JSON::Object::Ptr root;
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        root = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception& e) {
        throw InvalidArgument(std::string("stored envelope is not a JSON object: ") + e.what());
    }
    if (auto props = root->getObject("properties")) {
        auto& p = wire.properties;
        p.contentType = getString(props, "content_type");
        p.contentEncoding = getString(props, "content_encoding");
        if (auto v = getInt(props, "delivery_mode"))
            p.deliveryMode = static_cast<std::uint8_t>(*v);
        if (auto v = getInt(props, "priority"))
            p.priority = static_cast<std::uint8_t>(*v);
        p.correlationId = getString(props, "correlation_id");
        p.replyTo = getString(props, "reply_to");
        p.expiration = getString(props, "expiration");
        p.messageId = getString(props, "message_id");
        p.timestamp = getInt(props, "timestamp");
        p.type = getString(props, "type");
        p.userId = getString(props, "user_id");
        p.appId = getString(props, "app_id");
    }
    if (root->has("headers")) {
        std::ostringstream headers;
        root->getObject("headers")->stringify(headers);
        wire.headers = fieldTableFromJson(headers.str());
    }
    return wire;
}

std::string envelopeForOutboxMessage(const Message& message) {
    WireMessage wire;
    wire.properties.messageId = message.id().toString();
    wire.properties.type = message.name();
    wire.properties.timestamp = message.createdAt() / 1000;
    for (const auto& [key, value] : message.headers())
        wire.headers.push_back({key, FieldValue::ofString(value)});
    if (message.partitionKey())
        wire.headers.push_back({"x-partition-key", FieldValue::ofString(*message.partitionKey())});
    wire.headers.push_back({"x-created-at", FieldValue::ofInt64(message.createdAt())});
    return envelopeToJson(wire);
}

} // namespace msgbus::core
