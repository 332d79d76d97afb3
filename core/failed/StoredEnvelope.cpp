#include "core/failed/StoredEnvelope.h"

#include "core/failed/FieldTableJson.h"
#include "core/util/Base64.h"
#include "core/util/ErrorText.h"

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

/// Starts the member key of the object being written to out.
void addKey(std::string& out, const char* key) {
    if (out.size() > 1)
        out += ',';
    out += json::quote(key);
    out += ':';
}

// A property that is not valid UTF-8 (a message_id of raw bytes) cannot be a JSON string, and
// a utf8mb4 column would refuse the row: it is kept as {"S64": "<base64>"} instead, exactly.
void addString(std::string& out, const char* key, const std::optional<std::string>& value) {
    if (!value)
        return;
    addKey(out, key);
    if (json::isValidUtf8(*value))
        out += json::quote(*value);
    else
        out += "{\"S64\":\"" + base64Encode(*value, Base64Padding::Unpadded) + "\"}";
}

void addInt(std::string& out, const char* key, const std::optional<std::int64_t>& value) {
    if (!value)
        return;
    addKey(out, key);
    out += std::to_string(*value);
}

// A property of another type than envelopeToJson writes (a row edited by hand) is refused by
// name, as InvalidArgument like every other flaw of the envelope: Poco's own exceptions say only
// "Syntax error" or "Null pointer", which is all the failed row would show.
[[noreturn]] void wrongType(const char* key, const std::exception& e) {
    throw InvalidArgument(std::string("stored envelope: property '") + key +
                          "' has the wrong type: " + errorText(e));
}

std::optional<std::string> getString(const Poco::JSON::Object::Ptr& o, const char* key) {
    if (!o->has(key))
        return std::nullopt;
    try {
        if (auto bytes = o->getObject(key))
            return unbase64(bytes->getValue<std::string>("S64"), key);
        return o->getValue<std::string>(key);
    } catch (const InvalidArgument&) {
        throw;
    } catch (const std::exception& e) {
        wrongType(key, e);
    }
}

std::optional<std::int64_t> getInt(const Poco::JSON::Object::Ptr& o, const char* key) {
    if (!o->has(key))
        return std::nullopt;
    try {
        return o->getValue<Poco::Int64>(key);
    } catch (const std::exception& e) {
        wrongType(key, e);
    }
}

// An AMQP octet property (delivery_mode, priority): a value outside 0..255 is refused by name,
// never wrapped into another priority or delivery mode.
std::optional<std::uint8_t> getByte(const Poco::JSON::Object::Ptr& o, const char* key) {
    const auto value = getInt(o, key);
    if (!value)
        return std::nullopt;
    if (*value < 0 || *value > 255)
        throw InvalidArgument(std::string("stored envelope: property '") + key + "' is " +
                              std::to_string(*value) + ", outside 0..255");
    return static_cast<std::uint8_t>(*value);
}

// The member key of root, which must be an object when present; null when absent.
Poco::JSON::Object::Ptr section(const Poco::JSON::Object::Ptr& root, const char* key) {
    if (!root->has(key))
        return nullptr;
    auto object = root->getObject(key);
    if (!object)
        throw InvalidArgument(std::string("stored envelope: '") + key + "' is not a JSON object");
    return object;
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
    if (auto props = section(root, "properties")) {
        // Alike on purpose: one line per AMQP property, each its own name and field.
        auto& p = wire.properties;
        p.contentType = getString(props, "content_type");
        p.contentEncoding = getString(props, "content_encoding");
        p.deliveryMode = getByte(props, "delivery_mode");
        p.priority = getByte(props, "priority");
        p.correlationId = getString(props, "correlation_id");
        p.replyTo = getString(props, "reply_to");
        p.expiration = getString(props, "expiration");
        p.messageId = getString(props, "message_id");
        p.timestamp = getInt(props, "timestamp");
        p.type = getString(props, "type");
        p.userId = getString(props, "user_id");
        p.appId = getString(props, "app_id");
    }
    if (auto table = section(root, "headers")) {
        std::ostringstream headers;
        table->stringify(headers);
        wire.headers = fieldTableFromJson(headers.str());
    }
    return wire;
}

} // namespace msgbus::core
