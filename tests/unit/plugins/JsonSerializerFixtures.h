#pragma once
// What the JsonSerializer suites (JsonSerializerTest, EnvelopeReaderTest,
// EnvelopeReaderHeadersTest) share: sample messages in both wire forms and helpers that catch
// the errors they expect.
#include "plugins/json/JsonSerializer.h"

#include <msgbus/Error.h>
#include <msgbus/Id.h>

#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

#include <functional>
#include <map>
#include <stdexcept>
#include <string>

namespace msgbus::test::json {

using msgbus::FieldEntry;
using msgbus::FieldKind;
using msgbus::FieldValue;
using msgbus::Id;
using msgbus::Message;
using msgbus::WireMessage;
using msgbus::plugins::JsonSerializer;

// The same 128 bits as UUID text and as ULID text (see IdTest::testParsesUlid).
inline constexpr const char* uuidText = "0190a6f2-3b4c-7d5e-8f60-1a2b3c4d5e6f";
inline constexpr const char* ulidText = "01J2KF4ETCFNF8YR0T5CY4TQKF";
inline constexpr const char* otherUuid = "0190a6f2-3b4c-7d5e-8f60-1a2b3c4d5e70";
inline constexpr const char* freyrIdStamp =
    "X-Message-Stamp-Freyr\\MessageBroker\\Inbox\\MessageIdStamp";
inline constexpr const char* freyrNameStamp =
    "X-Message-Stamp-Freyr\\MessageBroker\\Inbox\\MessageNameStamp";

using Config = Poco::AutoPtr<Poco::Util::MapConfiguration>;

inline Config config(const std::map<std::string, std::string>& values) {
    Config c(new Poco::Util::MapConfiguration);
    for (const auto& [key, value] : values)
        c->setString(key, value);
    return c;
}

inline JsonSerializer serializer(const std::map<std::string, std::string>& values = {}) {
    JsonSerializer s;
    s.configure(*config(values));
    return s;
}

inline Message sampleMessage() {
    Message m("billing.invoice.paid", R"({"invoice":42,"total":"12.50","note":"caf\u00e9"})");
    m.setId(Id::parse(uuidText));
    m.setCreatedAt(1720000000123);
    m.setPartitionKey("customer-7");
    m.setHeader("correlation-id", "c-1");
    m.setHeader("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    m.setHeader("x-tenant", "acme");
    return m;
}

// A minimal message in the msgbus form, to be spoiled by each malformed-input test.
inline WireMessage msgbusWire() {
    WireMessage wire;
    wire.body = R"({"orderId":7})";
    wire.headers.push_back({"x-message-id", FieldValue::ofString(uuidText)});
    wire.headers.push_back({"x-message-name", FieldValue::ofString("order.placed")});
    return wire;
}

// What a Symfony Messenger + Freyr producer sends (AmqpSender moves Content-Type to the
// content_type property).
inline WireMessage symfonyWire(const std::string& idStampJson) {
    WireMessage wire;
    wire.body = R"({"messageId":"01J2KF4ETCFNF8YR0T5CY4TQKF","orderId":"550e8400"})";
    wire.properties.contentType = "application/json";
    wire.properties.deliveryMode = 2;
    wire.headers.push_back({"type", FieldValue::ofString("order.placed")});
    wire.headers.push_back({freyrIdStamp, FieldValue::ofString(idStampJson)});
    wire.headers.push_back({"X-Message-Stamp-Symfony\\Component\\Messenger\\Stamp\\BusNameStamp",
                            FieldValue::ofString(R"([{"busName":"messenger.bus.default"}])")});
    return wire;
}

inline bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

inline bool isPrintableAscii(const std::string& text) {
    for (char c : text)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
            return false;
    return true;
}

// Runs call, which must throw MalformedMessage; returns it for the caller to inspect.
inline msgbus::MalformedMessage malformed(const std::function<void()>& call) {
    try {
        call();
    } catch (const msgbus::MalformedMessage& e) {
        return e;
    }
    CPPUNIT_FAIL("expected msgbus::MalformedMessage");
    throw std::logic_error("unreachable");
}

inline msgbus::MalformedMessage decodeFails(const WireMessage& wire,
                                            const std::map<std::string, std::string>& cfg = {}) {
    JsonSerializer s = serializer(cfg);
    return malformed([&] { s.decode(wire); });
}

inline std::string invalidArgument(const std::map<std::string, std::string>& values) {
    JsonSerializer s;
    try {
        s.configure(*config(values));
    } catch (const msgbus::InvalidArgument& e) {
        return e.what();
    }
    CPPUNIT_FAIL("expected msgbus::InvalidArgument");
    return {};
}

inline void assertSameMessage(const Message& expected, const Message& actual) {
    CPPUNIT_ASSERT(expected.id() == actual.id());
    CPPUNIT_ASSERT_EQUAL(expected.name(), actual.name());
    CPPUNIT_ASSERT_EQUAL(expected.payload(), actual.payload());
    CPPUNIT_ASSERT(expected.headers() == actual.headers());
    CPPUNIT_ASSERT_EQUAL(expected.createdAt(), actual.createdAt());
    CPPUNIT_ASSERT(expected.partitionKey() == actual.partitionKey());
}

} // namespace msgbus::test::json
