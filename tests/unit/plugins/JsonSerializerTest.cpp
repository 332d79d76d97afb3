#include "plugins/json/JsonSerializer.h"

#include <msgbus/Error.h>
#include <msgbus/Id.h>

#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

using msgbus::FieldEntry;
using msgbus::FieldValue;
using msgbus::Id;
using msgbus::Message;
using msgbus::WireMessage;
using msgbus::plugins::JsonSerializer;

namespace {

// The same 128 bits as UUID text and as ULID text (see IdTest::testParsesUlid).
const char* const uuidText = "0190a6f2-3b4c-7d5e-8f60-1a2b3c4d5e6f";
const char* const ulidText = "01J2KF4ETCFNF8YR0T5CY4TQKF";
const char* const otherUuid = "0190a6f2-3b4c-7d5e-8f60-1a2b3c4d5e70";
const char* const freyrIdStamp = "X-Message-Stamp-Freyr\\MessageBroker\\Inbox\\MessageIdStamp";
const char* const freyrNameStamp = "X-Message-Stamp-Freyr\\MessageBroker\\Inbox\\MessageNameStamp";

using Config = Poco::AutoPtr<Poco::Util::MapConfiguration>;

Config config(const std::map<std::string, std::string>& values) {
    Config c(new Poco::Util::MapConfiguration);
    for (const auto& [key, value] : values)
        c->setString(key, value);
    return c;
}

JsonSerializer serializer(const std::map<std::string, std::string>& values = {}) {
    JsonSerializer s;
    s.configure(*config(values));
    return s;
}

Message sampleMessage() {
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
WireMessage msgbusWire() {
    WireMessage wire;
    wire.body = R"({"orderId":7})";
    wire.headers.push_back({"x-message-id", FieldValue::ofString(uuidText)});
    wire.headers.push_back({"x-message-name", FieldValue::ofString("order.placed")});
    return wire;
}

// What a Symfony Messenger + Freyr producer sends (AmqpSender moves Content-Type to the
// content_type property).
WireMessage symfonyWire(const std::string& idStampJson) {
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

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

bool isPrintableAscii(const std::string& text) {
    for (char c : text)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
            return false;
    return true;
}

// Runs call, which must throw MalformedMessage; returns it for the caller to inspect.
msgbus::MalformedMessage malformed(const std::function<void()>& call) {
    try {
        call();
    } catch (const msgbus::MalformedMessage& e) {
        return e;
    }
    CPPUNIT_FAIL("expected msgbus::MalformedMessage");
    throw std::logic_error("unreachable");
}

msgbus::MalformedMessage decodeFails(const WireMessage& wire,
                                     const std::map<std::string, std::string>& cfg = {}) {
    JsonSerializer s = serializer(cfg);
    return malformed([&] { s.decode(wire); });
}

std::string invalidArgument(const std::map<std::string, std::string>& values) {
    JsonSerializer s;
    try {
        s.configure(*config(values));
    } catch (const msgbus::InvalidArgument& e) {
        return e.what();
    }
    CPPUNIT_FAIL("expected msgbus::InvalidArgument");
    return {};
}

void assertSameMessage(const Message& expected, const Message& actual) {
    CPPUNIT_ASSERT(expected.id() == actual.id());
    CPPUNIT_ASSERT_EQUAL(expected.name(), actual.name());
    CPPUNIT_ASSERT_EQUAL(expected.payload(), actual.payload());
    CPPUNIT_ASSERT(expected.headers() == actual.headers());
    CPPUNIT_ASSERT_EQUAL(expected.createdAt(), actual.createdAt());
    CPPUNIT_ASSERT(expected.partitionKey() == actual.partitionKey());
}

} // namespace

class JsonSerializerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(JsonSerializerTest);
    CPPUNIT_TEST(testDefaultsAreMsgbusStyleOneMebibyteAndFreyrNamespace);
    CPPUNIT_TEST(testUnknownStyleIsRejectedNamingKeyAndAllowedValues);
    CPPUNIT_TEST(testMaxBodyBytesMustBeAPositiveInteger);
    CPPUNIT_TEST(testSymfonyNamespaceMustBeAPhpNamespace);
    CPPUNIT_TEST(testUnknownKeyIsRejectedNamingTheKey);
    CPPUNIT_TEST(testRefusedConfigurationLeavesSerializerUnchanged);
    CPPUNIT_TEST(testEncodeWritesPropertiesAndHeadersInOrder);
    CPPUNIT_TEST(testEncodeOmitsPartitionKeyWhenUnset);
    CPPUNIT_TEST(testEncodeTimestampIsCreatedAtInWholeSeconds);
    CPPUNIT_TEST(testEncodeSymfonyStyleAddsTypeStampsAndContentType);
    CPPUNIT_TEST(testEncodeSymfonyStyleUsesConfiguredNamespace);
    CPPUNIT_TEST(testEncodeLeavesOutMessageHeadersWithReservedNames);
    CPPUNIT_TEST(testEncodeWithoutIdIsMalformed);
    CPPUNIT_TEST(testEncodeWithInvalidNameIsMalformed);
    CPPUNIT_TEST(testEncodeWithPayloadThatIsNotAnObjectIsMalformed);
    CPPUNIT_TEST(testEncodeWithOversizedPayloadIsMalformed);
    CPPUNIT_TEST(testEncodeWithOverlongHeaderNameIsMalformed);
    CPPUNIT_TEST(testDecodesMsgbusForm);
    CPPUNIT_TEST(testIdFallsBackToMessageIdProperty);
    CPPUNIT_TEST(testNameFallsBackToTypePropertyThenTypeHeader);
    CPPUNIT_TEST(testCreatedAtFallsBackToTimestampPropertyThenZero);
    CPPUNIT_TEST(testCreatedAtAcceptsEveryIntegerType);
    CPPUNIT_TEST(testDecodesSymfonyFormWithUlidStamp);
    CPPUNIT_TEST(testDecodesSymfonyFormWithUuidStamp);
    CPPUNIT_TEST(testStampHeaderPrefixIsCaseInsensitive);
    CPPUNIT_TEST(testStampWithoutNamespaceIsAccepted);
    CPPUNIT_TEST(testLastMessageIdStampWins);
    CPPUNIT_TEST(testXMessageIdBeatsStampAndStampBeatsProperty);
    CPPUNIT_TEST(testMalformedStampIsIgnoredWhenXMessageIdIsPresent);
    CPPUNIT_TEST(testMissingIdIsMalformedNamingTheField);
    CPPUNIT_TEST(testInvalidIdTextIsMalformedWithTheParseReason);
    CPPUNIT_TEST(testInvalidIdPropertyIsMalformedNamingTheProperty);
    CPPUNIT_TEST(testNonStringIdHeaderIsMalformedNamingTheType);
    CPPUNIT_TEST(testMissingNameIsMalformedNamingTheField);
    CPPUNIT_TEST(testInvalidNameIsMalformedNamingWhereItCameFrom);
    CPPUNIT_TEST(testNonStringNameHeaderIsMalformedNamingTheType);
    CPPUNIT_TEST(testBodyThatIsNotUtf8IsMalformed);
    CPPUNIT_TEST(testBodyThatIsNotJsonIsMalformed);
    CPPUNIT_TEST(testBodyThatIsJsonButNotAnObjectIsMalformed);
    CPPUNIT_TEST(testEmptyBodyIsMalformed);
    CPPUNIT_TEST(testOversizedBodyIsMalformed);
    CPPUNIT_TEST(testBodyOfExactlyMaxBodyBytesIsAccepted);
    CPPUNIT_TEST(testNonIntegerCreatedAtIsMalformed);
    CPPUNIT_TEST(testStampThatIsNotJsonIsMalformed);
    CPPUNIT_TEST(testStampThatIsNotAnArrayOfObjectsIsMalformed);
    CPPUNIT_TEST(testStampWithoutStringMessageIdIsMalformed);
    CPPUNIT_TEST(testStampWithInvalidIdIsMalformed);
    CPPUNIT_TEST(testStampOfNonStringTypeIsMalformed);
    CPPUNIT_TEST(testWireBytesInErrorsAreEscapedToPrintableAscii);
    CPPUNIT_TEST(testApplicationHeadersAreConvertedToText);
    CPPUNIT_TEST(testHeadersWithoutTextFormAreSkipped);
    CPPUNIT_TEST(testReservedHeadersAreNotCopied);
    CPPUNIT_TEST(testFirstOfDuplicateHeadersWins);
    CPPUNIT_TEST(testPartitionKeyIsDecoded);
    CPPUNIT_TEST(testPartitionKeyWithoutTextFormIsMalformed);
    CPPUNIT_TEST(testRoundTripMsgbusStyle);
    CPPUNIT_TEST(testRoundTripSymfonyStyle);
    CPPUNIT_TEST(testRoundTripWithoutPartitionKeyHeadersOrCreatedAt);
    CPPUNIT_TEST(testSymfonyStyleOutputDecodesWithoutXHeaders);
    CPPUNIT_TEST(testEncodeAndDecodeAreSafeConcurrently);
    CPPUNIT_TEST_SUITE_END();

public:
    void testDefaultsAreMsgbusStyleOneMebibyteAndFreyrNamespace() {
        JsonSerializer unconfigured;
        JsonSerializer configured = serializer();
        for (const JsonSerializer* s : {&unconfigured, &configured}) {
            CPPUNIT_ASSERT(s->style() == JsonSerializer::Style::Msgbus);
            CPPUNIT_ASSERT_EQUAL(std::size_t(1048576), s->maxBodyBytes());
            CPPUNIT_ASSERT_EQUAL(std::string("Freyr\\MessageBroker\\Inbox"), s->symfonyNamespace());
        }
        CPPUNIT_ASSERT(serializer({{"style", "symfony"}}).style() ==
                       JsonSerializer::Style::Symfony);
        CPPUNIT_ASSERT_EQUAL(std::size_t(10),
                             serializer({{"max_body_bytes", "10"}}).maxBodyBytes());
    }

    void testUnknownStyleIsRejectedNamingKeyAndAllowedValues() {
        for (const char* bad : {"xml", "", "Symfony", "MSGBUS"}) {
            std::string what = invalidArgument({{"style", bad}});
            CPPUNIT_ASSERT(contains(what, "style"));
            CPPUNIT_ASSERT(contains(what, "'msgbus'"));
            CPPUNIT_ASSERT(contains(what, "'symfony'"));
        }
    }

    void testMaxBodyBytesMustBeAPositiveInteger() {
        for (const char* bad :
             {"0", "-1", "abc", "1.5", "", "0x10", "10k", "99999999999999999999999"}) {
            std::string what = invalidArgument({{"max_body_bytes", bad}});
            CPPUNIT_ASSERT(contains(what, "max_body_bytes"));
            CPPUNIT_ASSERT(contains(what, "positive integer"));
        }
    }

    void testSymfonyNamespaceMustBeAPhpNamespace() {
        for (const char* bad : {"", "App\\", "\\App", "App\\\\Stamp", "App Stamp", "1App", "a/b"}) {
            std::string what = invalidArgument({{"symfony_namespace", bad}});
            CPPUNIT_ASSERT(contains(what, "symfony_namespace"));
        }
        CPPUNIT_ASSERT_EQUAL(
            std::string("App\\Messaging_2\\Stamp"),
            serializer({{"symfony_namespace", "App\\Messaging_2\\Stamp"}}).symfonyNamespace());
    }

    void testUnknownKeyIsRejectedNamingTheKey() {
        CPPUNIT_ASSERT(contains(invalidArgument({{"max_body_byte", "10"}}), "max_body_byte"));
        // A key below a known one is a typo too, not something to ignore.
        CPPUNIT_ASSERT(contains(invalidArgument({{"style.mode", "x"}}), "style.mode"));
    }

    void testRefusedConfigurationLeavesSerializerUnchanged() {
        JsonSerializer s = serializer({{"style", "symfony"}, {"max_body_bytes", "100"}});
        CPPUNIT_ASSERT_THROW(s.configure(*config({{"max_body_bytes", "200"}, {"style", "bad"}})),
                             msgbus::InvalidArgument);
        CPPUNIT_ASSERT(s.style() == JsonSerializer::Style::Symfony);
        CPPUNIT_ASSERT_EQUAL(std::size_t(100), s.maxBodyBytes());
    }

    void testEncodeWritesPropertiesAndHeadersInOrder() {
        Message m = sampleMessage();
        WireMessage wire = serializer().encode(m);

        CPPUNIT_ASSERT_EQUAL(m.payload(), wire.body);
        CPPUNIT_ASSERT(wire.properties.contentType == std::string("application/json"));
        CPPUNIT_ASSERT(wire.properties.deliveryMode == std::uint8_t(2));
        CPPUNIT_ASSERT(wire.properties.messageId == std::string(uuidText));
        CPPUNIT_ASSERT(wire.properties.timestamp == std::int64_t(1720000000));
        CPPUNIT_ASSERT(wire.properties.type == std::string("billing.invoice.paid"));

        msgbus::FieldTable expected{
            {"x-message-id", FieldValue::ofString(uuidText)},
            {"x-message-name", FieldValue::ofString("billing.invoice.paid")},
            {"x-created-at", FieldValue::ofInt64(1720000000123)},
            {"x-partition-key", FieldValue::ofString("customer-7")},
            {"correlation-id", FieldValue::ofString("c-1")},
            {"traceparent",
             FieldValue::ofString("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")},
            {"x-tenant", FieldValue::ofString("acme")},
        };
        CPPUNIT_ASSERT(expected == wire.headers);
    }

    void testEncodeOmitsPartitionKeyWhenUnset() {
        Message m = sampleMessage();
        m.clearPartitionKey();
        WireMessage wire = serializer().encode(m);
        CPPUNIT_ASSERT(wire.header("x-partition-key") == nullptr);
        CPPUNIT_ASSERT_EQUAL(std::string("correlation-id"), wire.headers.at(3).key);
    }

    void testEncodeTimestampIsCreatedAtInWholeSeconds() {
        Message m = sampleMessage();
        m.setCreatedAt(1999);
        CPPUNIT_ASSERT(serializer().encode(m).properties.timestamp == std::int64_t(1));
        m.setCreatedAt(0);
        CPPUNIT_ASSERT(serializer().encode(m).properties.timestamp == std::int64_t(0));
    }

    void testEncodeSymfonyStyleAddsTypeStampsAndContentType() {
        Message m = sampleMessage();
        WireMessage wire = serializer({{"style", "symfony"}}).encode(m);

        // The msgbus headers stay, so a msgbus consumer decodes it the same way.
        CPPUNIT_ASSERT_EQUAL(std::string("x-message-id"), wire.headers.at(0).key);
        CPPUNIT_ASSERT(wire.header("x-message-name") != nullptr);
        CPPUNIT_ASSERT(*wire.header("x-created-at") == FieldValue::ofInt64(1720000000123));
        CPPUNIT_ASSERT(*wire.header("type") == FieldValue::ofString("billing.invoice.paid"));
        CPPUNIT_ASSERT(
            *wire.header(freyrIdStamp) ==
            FieldValue::ofString(std::string(R"([{"messageId":")") + uuidText + R"("}])"));
        CPPUNIT_ASSERT(*wire.header(freyrNameStamp) ==
                       FieldValue::ofString(R"([{"messageName":"billing.invoice.paid"}])"));
        CPPUNIT_ASSERT(*wire.header("Content-Type") == FieldValue::ofString("application/json"));
        CPPUNIT_ASSERT(
            *wire.header("traceparent") ==
            FieldValue::ofString("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(11), wire.headers.size());
        CPPUNIT_ASSERT(wire.properties.type == std::string("billing.invoice.paid"));
        CPPUNIT_ASSERT_EQUAL(m.payload(), wire.body);
    }

    void testEncodeSymfonyStyleUsesConfiguredNamespace() {
        WireMessage wire = serializer({{"style", "symfony"}, {"symfony_namespace", "App\\Stamp"}})
                               .encode(sampleMessage());
        CPPUNIT_ASSERT(wire.header("X-Message-Stamp-App\\Stamp\\MessageIdStamp") != nullptr);
        CPPUNIT_ASSERT(wire.header("X-Message-Stamp-App\\Stamp\\MessageNameStamp") != nullptr);
        CPPUNIT_ASSERT(wire.header(freyrIdStamp) == nullptr);
    }

    void testEncodeLeavesOutMessageHeadersWithReservedNames() {
        Message m = sampleMessage();
        m.setHeader("x-message-id", otherUuid);
        m.setHeader("type", "other.name");
        m.setHeader("content-type", "text/plain");
        m.setHeader("X-Message-Stamp-App\\Foo", "[]");
        for (const char* style : {"msgbus", "symfony"}) {
            WireMessage wire = serializer({{"style", style}}).encode(m);
            int idHeaders = 0;
            for (const auto& entry : wire.headers) {
                CPPUNIT_ASSERT(entry.key != "content-type");
                CPPUNIT_ASSERT(entry.key != "X-Message-Stamp-App\\Foo");
                if (entry.key == "x-message-id") {
                    ++idHeaders;
                    CPPUNIT_ASSERT(entry.value == FieldValue::ofString(uuidText));
                }
                if (entry.key == "type")
                    CPPUNIT_ASSERT(entry.value == FieldValue::ofString("billing.invoice.paid"));
            }
            CPPUNIT_ASSERT_EQUAL(1, idHeaders);
        }
    }

    void testEncodeWithoutIdIsMalformed() {
        Message m("order.placed", "{}");
        auto e = malformed([&] { serializer().encode(m); });
        CPPUNIT_ASSERT_EQUAL(std::string("message id"), e.field());
    }

    void testEncodeWithInvalidNameIsMalformed() {
        Message m = sampleMessage();
        m.setName("Order.Placed");
        auto e = malformed([&] { serializer().encode(m); });
        CPPUNIT_ASSERT_EQUAL(std::string("message name"), e.field());
        CPPUNIT_ASSERT(contains(e.what(), "Order.Placed"));
    }

    void testEncodeWithPayloadThatIsNotAnObjectIsMalformed() {
        Message m = sampleMessage();
        m.setPayload("[1,2]");
        auto e = malformed([&] { serializer().encode(m); });
        CPPUNIT_ASSERT_EQUAL(std::string("body"), e.field());
        CPPUNIT_ASSERT(contains(e.what(), "array"));
    }

    void testEncodeWithOversizedPayloadIsMalformed() {
        Message m = sampleMessage();
        auto e = malformed([&] { serializer({{"max_body_bytes", "10"}}).encode(m); });
        CPPUNIT_ASSERT_EQUAL(std::string("body"), e.field());
    }

    void testEncodeWithOverlongHeaderNameIsMalformed() {
        Message m = sampleMessage();
        m.setHeader(std::string(256, 'h'), "v");
        auto e = malformed([&] { serializer().encode(m); });
        CPPUNIT_ASSERT(contains(e.field(), "header hhh"));
        CPPUNIT_ASSERT(contains(e.what(), "256"));
    }

    void testDecodesMsgbusForm() {
        WireMessage wire = msgbusWire();
        wire.headers.push_back({"x-created-at", FieldValue::ofInt64(1720000000123)});
        wire.headers.push_back({"x-partition-key", FieldValue::ofString("p1")});
        wire.headers.push_back({"correlation-id", FieldValue::ofString("c-9")});
        Message m = serializer().decode(wire);
        CPPUNIT_ASSERT_EQUAL(std::string(uuidText), m.id().toString());
        CPPUNIT_ASSERT_EQUAL(std::string("order.placed"), m.name());
        CPPUNIT_ASSERT_EQUAL(wire.body, m.payload());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1720000000123), m.createdAt());
        CPPUNIT_ASSERT(m.partitionKey() == std::string("p1"));
        CPPUNIT_ASSERT(m.headers() == Message::Headers({{"correlation-id", "c-9"}}));
    }

    void testIdFallsBackToMessageIdProperty() {
        WireMessage wire = msgbusWire();
        wire.headers.erase(wire.headers.begin());
        wire.properties.messageId = "0190A6F2-3B4C-7D5E-8F60-1A2B3C4D5E6F";
        CPPUNIT_ASSERT_EQUAL(std::string(uuidText), serializer().decode(wire).id().toString());
    }

    void testNameFallsBackToTypePropertyThenTypeHeader() {
        WireMessage wire = msgbusWire();
        wire.headers.erase(wire.headers.begin() + 1);
        wire.properties.type = "order.shipped";
        wire.headers.push_back({"type", FieldValue::ofString("order.cancelled")});
        CPPUNIT_ASSERT_EQUAL(std::string("order.shipped"), serializer().decode(wire).name());

        wire.properties.type = ""; // an empty property counts as unset
        CPPUNIT_ASSERT_EQUAL(std::string("order.cancelled"), serializer().decode(wire).name());
        wire.properties.type.reset();
        CPPUNIT_ASSERT_EQUAL(std::string("order.cancelled"), serializer().decode(wire).name());

        // x-message-name beats both.
        wire.properties.type = "order.shipped";
        wire.headers.push_back({"x-message-name", FieldValue::ofString("order.placed")});
        CPPUNIT_ASSERT_EQUAL(std::string("order.placed"), serializer().decode(wire).name());
    }

    void testCreatedAtFallsBackToTimestampPropertyThenZero() {
        WireMessage wire = msgbusWire();
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), serializer().decode(wire).createdAt());
        wire.properties.timestamp = 1720000000;
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1720000000000), serializer().decode(wire).createdAt());
        wire.headers.push_back({"x-created-at", FieldValue::ofInt64(1720000000555)});
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1720000000555), serializer().decode(wire).createdAt());
    }

    void testCreatedAtAcceptsEveryIntegerType() {
        for (char kind : {'b', 'B', 's', 'u', 'I', 'i', 'l', 'L'}) {
            WireMessage wire = msgbusWire();
            wire.headers.push_back({"x-created-at", FieldValue::ofInteger(kind, 100)});
            CPPUNIT_ASSERT_EQUAL(std::int64_t(100), serializer().decode(wire).createdAt());
        }
    }

    void testDecodesSymfonyFormWithUlidStamp() {
        WireMessage wire = symfonyWire(std::string(R"([{"messageId":")") + ulidText + R"("}])");
        wire.properties.timestamp = 1720000000;
        wire.headers.push_back({"traceparent", FieldValue::ofString("00-abc-def-01")});
        Message m = serializer().decode(wire);
        CPPUNIT_ASSERT_EQUAL(std::string(uuidText), m.id().toString());
        CPPUNIT_ASSERT_EQUAL(std::string("order.placed"), m.name());
        CPPUNIT_ASSERT_EQUAL(wire.body, m.payload());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1720000000000), m.createdAt());
        CPPUNIT_ASSERT(!m.partitionKey());
        // type and every stamp header are envelope, not application headers.
        CPPUNIT_ASSERT(m.headers() == Message::Headers({{"traceparent", "00-abc-def-01"}}));
    }

    void testDecodesSymfonyFormWithUuidStamp() {
        WireMessage wire = symfonyWire(std::string(R"([{"messageId":")") + uuidText + R"("}])");
        Message m = serializer().decode(wire);
        CPPUNIT_ASSERT_EQUAL(std::string(uuidText), m.id().toString());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), m.createdAt());
        CPPUNIT_ASSERT(m.headers().empty());
    }

    void testStampHeaderPrefixIsCaseInsensitive() {
        WireMessage wire = symfonyWire("[]");
        wire.headers.at(1).key = "x-message-stamp-App\\Messaging\\MessageIdStamp";
        wire.headers.at(1).value =
            FieldValue::ofString(std::string(R"([{"messageId":")") + ulidText + R"("}])");
        CPPUNIT_ASSERT_EQUAL(std::string(uuidText), serializer().decode(wire).id().toString());
    }

    void testStampWithoutNamespaceIsAccepted() {
        WireMessage wire = symfonyWire("[]");
        wire.headers.at(1).key = "X-Message-Stamp-MessageIdStamp";
        wire.headers.at(1).value =
            FieldValue::ofString(std::string(R"([{"messageId":")") + uuidText + R"("}])");
        CPPUNIT_ASSERT_EQUAL(std::string(uuidText), serializer().decode(wire).id().toString());
    }

    void testLastMessageIdStampWins() {
        WireMessage wire = symfonyWire(std::string(R"([{"messageId":")") + otherUuid +
                                       R"("},{"messageId":")" + ulidText + R"("}])");
        CPPUNIT_ASSERT_EQUAL(std::string(uuidText), serializer().decode(wire).id().toString());
    }

    void testXMessageIdBeatsStampAndStampBeatsProperty() {
        WireMessage wire = symfonyWire(std::string(R"([{"messageId":")") + ulidText + R"("}])");
        wire.properties.messageId = otherUuid;
        CPPUNIT_ASSERT_EQUAL(std::string(uuidText), serializer().decode(wire).id().toString());
        wire.headers.push_back({"x-message-id", FieldValue::ofString(otherUuid)});
        CPPUNIT_ASSERT_EQUAL(std::string(otherUuid), serializer().decode(wire).id().toString());
    }

    void testMalformedStampIsIgnoredWhenXMessageIdIsPresent() {
        WireMessage wire = msgbusWire();
        wire.headers.push_back({freyrIdStamp, FieldValue::ofString("garbage")});
        CPPUNIT_ASSERT_EQUAL(std::string(uuidText), serializer().decode(wire).id().toString());
    }

    void testMissingIdIsMalformedNamingTheField() {
        WireMessage wire = msgbusWire();
        wire.headers.erase(wire.headers.begin());
        wire.properties.messageId = ""; // empty counts as unset
        auto e = decodeFails(wire);
        CPPUNIT_ASSERT_EQUAL(std::string("message id"), e.field());
        CPPUNIT_ASSERT(contains(e.what(), "x-message-id"));
        CPPUNIT_ASSERT(contains(e.what(), "MessageIdStamp"));
        CPPUNIT_ASSERT(contains(e.what(), "message_id"));
    }

    void testInvalidIdTextIsMalformedWithTheParseReason() {
        for (const char* bad : {"not-an-id", "", "00000000-0000-0000-0000-000000000000"}) {
            WireMessage wire = msgbusWire();
            wire.headers.at(0).value = FieldValue::ofString(bad);
            auto e = decodeFails(wire);
            CPPUNIT_ASSERT_EQUAL(std::string("header x-message-id"), e.field());
            CPPUNIT_ASSERT(contains(e.what(), "invalid message id"));
            CPPUNIT_ASSERT(contains(e.what(), bad));
        }
    }

    void testInvalidIdPropertyIsMalformedNamingTheProperty() {
        WireMessage wire = msgbusWire();
        wire.headers.erase(wire.headers.begin());
        wire.properties.messageId = "42";
        auto e = decodeFails(wire);
        CPPUNIT_ASSERT_EQUAL(std::string("property message_id"), e.field());
        CPPUNIT_ASSERT(contains(e.what(), "'42'"));
    }

    void testNonStringIdHeaderIsMalformedNamingTheType() {
        WireMessage wire = msgbusWire();
        wire.headers.at(0).value = FieldValue::ofInt32(42);
        auto e = decodeFails(wire);
        CPPUNIT_ASSERT_EQUAL(std::string("header x-message-id"), e.field());
        CPPUNIT_ASSERT(contains(e.what(), "int32"));
        CPPUNIT_ASSERT(contains(e.what(), "'I'"));
    }

    void testMissingNameIsMalformedNamingTheField() {
        WireMessage wire = msgbusWire();
        wire.headers.erase(wire.headers.begin() + 1);
        auto e = decodeFails(wire);
        CPPUNIT_ASSERT_EQUAL(std::string("message name"), e.field());
        CPPUNIT_ASSERT(contains(e.what(), "x-message-name"));
        CPPUNIT_ASSERT(contains(e.what(), "property type"));
        CPPUNIT_ASSERT(contains(e.what(), "header type"));
    }

    void testInvalidNameIsMalformedNamingWhereItCameFrom() {
        WireMessage wire = msgbusWire();
        wire.headers.at(1).value = FieldValue::ofString("OrderPlaced");
        auto e = decodeFails(wire);
        CPPUNIT_ASSERT_EQUAL(std::string("header x-message-name"), e.field());
        CPPUNIT_ASSERT(contains(e.what(), "invalid message name 'OrderPlaced'"));

        // A Symfony producer without the Freyr name mapping sends the PHP class in `type`.
        WireMessage php = symfonyWire(std::string(R"([{"messageId":")") + ulidText + R"("}])");
        php.headers.at(0).value = FieldValue::ofString("App\\Message\\OrderPlaced");
        CPPUNIT_ASSERT_EQUAL(std::string("header type"), decodeFails(php).field());

        WireMessage property = msgbusWire();
        property.headers.erase(property.headers.begin() + 1);
        property.properties.type = "order";
        CPPUNIT_ASSERT_EQUAL(std::string("property type"), decodeFails(property).field());
    }

    void testNonStringNameHeaderIsMalformedNamingTheType() {
        WireMessage wire = msgbusWire();
        wire.headers.at(1).value = FieldValue::ofBool(true);
        auto e = decodeFails(wire);
        CPPUNIT_ASSERT_EQUAL(std::string("header x-message-name"), e.field());
        CPPUNIT_ASSERT(contains(e.what(), "boolean"));
    }

    void testBodyThatIsNotUtf8IsMalformed() {
        WireMessage wire = msgbusWire();
        wire.body = "{\"a\":\"\xc3\x28\"}";
        auto e = decodeFails(wire);
        CPPUNIT_ASSERT_EQUAL(std::string("body"), e.field());
        CPPUNIT_ASSERT(contains(e.what(), "UTF-8"));
    }

    void testBodyThatIsNotJsonIsMalformed() {
        for (const char* bad :
             {"{", "{\"a\":}", "{} {}", "{'a':1}", "hello", "[1,", "{\"a\":1,}"}) {
            WireMessage wire = msgbusWire();
            wire.body = bad;
            auto e = decodeFails(wire);
            CPPUNIT_ASSERT_EQUAL(std::string("body"), e.field());
            CPPUNIT_ASSERT_MESSAGE(bad, contains(e.what(), "not valid JSON"));
        }
    }

    void testBodyThatIsJsonButNotAnObjectIsMalformed() {
        const std::map<std::string, std::string> cases{
            {"[1,2]", "an array"},    {" 42", "a number"},   {"-1.5e3", "a number"},
            {"\"text\"", "a string"}, {"true", "a boolean"}, {"null", "null"}};
        for (const auto& [body, kind] : cases) {
            WireMessage wire = msgbusWire();
            wire.body = body;
            auto e = decodeFails(wire);
            CPPUNIT_ASSERT_EQUAL(std::string("body"), e.field());
            CPPUNIT_ASSERT_MESSAGE(body,
                                   contains(e.what(), "JSON object is required, got " + kind));
        }
    }

    void testEmptyBodyIsMalformed() {
        for (const char* bad : {"", "  \n"}) {
            WireMessage wire = msgbusWire();
            wire.body = bad;
            auto e = decodeFails(wire);
            CPPUNIT_ASSERT_EQUAL(std::string("body"), e.field());
            CPPUNIT_ASSERT(contains(e.what(), "empty"));
        }
    }

    void testOversizedBodyIsMalformed() {
        WireMessage wire = msgbusWire();
        wire.body = R"({"a":")" + std::string(100, 'x') + R"("})";
        auto e = decodeFails(wire, {{"max_body_bytes", "64"}});
        CPPUNIT_ASSERT_EQUAL(std::string("body"), e.field());
        CPPUNIT_ASSERT(contains(e.what(), "108 bytes"));
        CPPUNIT_ASSERT(contains(e.what(), "64 bytes"));

        // The default limit is 1 MiB.
        wire.body = R"({"a":")" + std::string(1048576, 'x') + R"("})";
        CPPUNIT_ASSERT(contains(decodeFails(wire).what(), "1048576 bytes"));
    }

    void testBodyOfExactlyMaxBodyBytesIsAccepted() {
        WireMessage wire = msgbusWire();
        wire.body = R"({"a":")" + std::string(56, 'x') + R"("})";
        CPPUNIT_ASSERT_EQUAL(std::size_t(64), wire.body.size());
        CPPUNIT_ASSERT_EQUAL(wire.body,
                             serializer({{"max_body_bytes", "64"}}).decode(wire).payload());
    }

    void testNonIntegerCreatedAtIsMalformed() {
        for (const FieldValue& bad :
             {FieldValue::ofString("1720000000123"), FieldValue::ofReal('d', 1720000000123.0),
              FieldValue::ofTimestamp(1)}) {
            WireMessage wire = msgbusWire();
            wire.headers.push_back({"x-created-at", bad});
            auto e = decodeFails(wire);
            CPPUNIT_ASSERT_EQUAL(std::string("header x-created-at"), e.field());
            CPPUNIT_ASSERT(contains(e.what(), "integer"));
        }
    }

    void testStampThatIsNotJsonIsMalformed() {
        auto e = decodeFails(symfonyWire("[{messageId:1"));
        CPPUNIT_ASSERT_EQUAL(std::string("header ") + freyrIdStamp, e.field());
        CPPUNIT_ASSERT(contains(e.what(), "not valid JSON"));
        CPPUNIT_ASSERT(contains(decodeFails(symfonyWire("[\"\xff\"]")).what(), "UTF-8"));
    }

    void testStampThatIsNotAnArrayOfObjectsIsMalformed() {
        for (const char* bad : {R"({"messageId":"01J2KF4ETCFNF8YR0T5CY4TQKF"})", "[]",
                                R"(["01J2KF4ETCFNF8YR0T5CY4TQKF"])",
                                R"([{"messageId":"01J2KF4ETCFNF8YR0T5CY4TQKF"},3])"}) {
            auto e = decodeFails(symfonyWire(bad));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(bad, std::string("header ") + freyrIdStamp, e.field());
            CPPUNIT_ASSERT(contains(e.what(), "JSON array of objects"));
        }
    }

    void testStampWithoutStringMessageIdIsMalformed() {
        for (const char* bad : {R"([{"id":"01J2KF4ETCFNF8YR0T5CY4TQKF"}])", R"([{"messageId":7}])",
                                R"([{"messageId":null}])"}) {
            auto e = decodeFails(symfonyWire(bad));
            CPPUNIT_ASSERT_EQUAL(std::string("header ") + freyrIdStamp, e.field());
            CPPUNIT_ASSERT_MESSAGE(bad, contains(e.what(), "no string \"messageId\""));
        }
    }

    void testStampWithInvalidIdIsMalformed() {
        auto e = decodeFails(symfonyWire(R"([{"messageId":"order-7"}])"));
        CPPUNIT_ASSERT_EQUAL(std::string("header ") + freyrIdStamp, e.field());
        CPPUNIT_ASSERT(contains(e.what(), "invalid message id 'order-7'"));
    }

    void testStampOfNonStringTypeIsMalformed() {
        WireMessage wire = symfonyWire("");
        wire.headers.at(1).value = FieldValue::ofInt64(7);
        auto e = decodeFails(wire);
        CPPUNIT_ASSERT_EQUAL(std::string("header ") + freyrIdStamp, e.field());
        CPPUNIT_ASSERT(contains(e.what(), "int64"));
    }

    void testWireBytesInErrorsAreEscapedToPrintableAscii() {
        // The reason is logged and stored in the failed table: whatever a peer sent, it stays
        // valid UTF-8 there.
        WireMessage name = msgbusWire();
        name.headers.at(1).value = FieldValue::ofString("\xff\n.placed");
        auto e = decodeFails(name);
        CPPUNIT_ASSERT(isPrintableAscii(e.what()));
        CPPUNIT_ASSERT(contains(e.what(), "\\xff\\x0a.placed"));

        WireMessage stamp = symfonyWire("not json \xc3\xa9");
        stamp.headers.at(1).key = "X-Message-Stamp-\xc3\x28\\MessageIdStamp";
        e = decodeFails(stamp);
        CPPUNIT_ASSERT(isPrintableAscii(e.field()));
        CPPUNIT_ASSERT(isPrintableAscii(e.what()));
        CPPUNIT_ASSERT_EQUAL(std::string("header X-Message-Stamp-\\xc3(\\MessageIdStamp"),
                             e.field());

        WireMessage body = msgbusWire();
        body.body = "{\"caf\xc3\xa9\":\xc3\xa9}";
        e = decodeFails(body);
        CPPUNIT_ASSERT(contains(e.what(), "not valid JSON"));
        CPPUNIT_ASSERT(isPrintableAscii(e.what()));
    }

    void testApplicationHeadersAreConvertedToText() {
        WireMessage wire = msgbusWire();
        auto add = [&wire](const char* key, FieldValue v) { wire.headers.push_back({key, v}); };
        add("s", FieldValue::ofString("caf\xc3\xa9"));
        add("x", FieldValue::ofBytes("raw text"));
        add("b", FieldValue::ofInteger('b', -8));
        add("B", FieldValue::ofInteger('B', 255));
        add("sh", FieldValue::ofInteger('s', -300));
        add("u", FieldValue::ofInteger('u', 65535));
        add("I", FieldValue::ofInt32(-70000));
        add("i", FieldValue::ofInteger('i', 4294967295));
        add("l", FieldValue::ofInt64(-9000000000));
        add("L", FieldValue::ofInteger('L', -1)); // 2^64-1 kept in the int64's bits
        add("t", FieldValue::ofBool(true));
        add("f", FieldValue::ofBool(false));
        add("float", FieldValue::ofReal('f', static_cast<double>(0.1f)));
        add("double", FieldValue::ofReal('d', 2.5));
        add("T", FieldValue::ofTimestamp(1720000000));
        Message m = serializer().decode(wire);
        Message::Headers expected{{"s", "caf\xc3\xa9"}, {"x", "raw text"},
                                  {"b", "-8"},          {"B", "255"},
                                  {"sh", "-300"},       {"u", "65535"},
                                  {"I", "-70000"},      {"i", "4294967295"},
                                  {"l", "-9000000000"}, {"L", "18446744073709551615"},
                                  {"t", "true"},        {"f", "false"},
                                  {"float", "0.1"},     {"double", "2.5"},
                                  {"T", "1720000000"}};
        CPPUNIT_ASSERT(expected == m.headers());
    }

    void testHeadersWithoutTextFormAreSkipped() {
        WireMessage wire = msgbusWire();
        wire.headers.push_back({"array", FieldValue::ofArray({FieldValue::ofString("a")})});
        wire.headers.push_back({"table", FieldValue::ofTable({{"k", FieldValue::ofString("v")}})});
        wire.headers.push_back({"decimal", FieldValue::ofDecimal(2, 1234)});
        wire.headers.push_back({"void", FieldValue::ofVoid()});
        wire.headers.push_back({"binary", FieldValue::ofBytes(std::string("\x00\xff\xfe", 3))});
        wire.headers.push_back({"latin1", FieldValue::ofString("caf\xe9")});
        wire.headers.push_back({"", FieldValue::ofString("no key")});
        wire.headers.push_back({"bad\xff", FieldValue::ofString("bad key")});
        wire.headers.push_back({"kept", FieldValue::ofString("yes")});
        CPPUNIT_ASSERT(serializer().decode(wire).headers() == Message::Headers({{"kept", "yes"}}));
    }

    void testReservedHeadersAreNotCopied() {
        WireMessage wire = msgbusWire();
        wire.headers.push_back({"x-created-at", FieldValue::ofInt64(5)});
        wire.headers.push_back({"x-partition-key", FieldValue::ofString("p")});
        wire.headers.push_back({"type", FieldValue::ofString("order.placed")});
        wire.headers.push_back({"Content-Type", FieldValue::ofString("application/json")});
        wire.headers.push_back({"content-type", FieldValue::ofString("application/json")});
        wire.headers.push_back({freyrNameStamp, FieldValue::ofString("[]")});
        wire.headers.push_back({"X-MESSAGE-STAMP-Other\\DelayStamp", FieldValue::ofString("[]")});
        CPPUNIT_ASSERT(serializer().decode(wire).headers().empty());
    }

    void testFirstOfDuplicateHeadersWins() {
        WireMessage wire = msgbusWire();
        wire.headers.push_back({"k", FieldValue::ofString("first")});
        wire.headers.push_back({"k", FieldValue::ofString("second")});
        CPPUNIT_ASSERT_EQUAL(std::string("first"), serializer().decode(wire).headers().at("k"));
    }

    void testPartitionKeyIsDecoded() {
        WireMessage wire = msgbusWire();
        wire.headers.push_back({"x-partition-key", FieldValue::ofInt64(77)});
        CPPUNIT_ASSERT(serializer().decode(wire).partitionKey() == std::string("77"));
        wire.headers.back().value = FieldValue::ofString("customer-1");
        CPPUNIT_ASSERT(serializer().decode(wire).partitionKey() == std::string("customer-1"));
    }

    void testPartitionKeyWithoutTextFormIsMalformed() {
        WireMessage wire = msgbusWire();
        wire.headers.push_back({"x-partition-key", FieldValue::ofTable({})});
        auto e = decodeFails(wire);
        CPPUNIT_ASSERT_EQUAL(std::string("header x-partition-key"), e.field());
        CPPUNIT_ASSERT(contains(e.what(), "table"));
    }

    void testRoundTripMsgbusStyle() {
        JsonSerializer s = serializer();
        Message m = sampleMessage();
        assertSameMessage(m, s.decode(s.encode(m)));
    }

    void testRoundTripSymfonyStyle() {
        JsonSerializer s = serializer({{"style", "symfony"}});
        Message m = sampleMessage();
        assertSameMessage(m, s.decode(s.encode(m)));
        // A msgbus-style consumer reads it the same way.
        assertSameMessage(m, serializer().decode(s.encode(m)));
    }

    void testRoundTripWithoutPartitionKeyHeadersOrCreatedAt() {
        for (const char* style : {"msgbus", "symfony"}) {
            JsonSerializer s = serializer({{"style", style}});
            Message m("order.placed", "{}");
            m.setId(Id::generate());
            assertSameMessage(m, s.decode(s.encode(m)));
            m.setCreatedAt(-1500); // before the epoch: still exact through x-created-at
            assertSameMessage(m, s.decode(s.encode(m)));
        }
    }

    void testSymfonyStyleOutputDecodesWithoutXHeaders() {
        // What a peer that strips unknown headers would forward: only the Symfony part.
        WireMessage wire = serializer({{"style", "symfony"}}).encode(sampleMessage());
        std::erase_if(wire.headers, [](const FieldEntry& e) { return e.key.starts_with("x-"); });
        wire.properties = {};
        Message m = serializer().decode(wire);
        CPPUNIT_ASSERT_EQUAL(std::string(uuidText), m.id().toString());
        CPPUNIT_ASSERT_EQUAL(std::string("billing.invoice.paid"), m.name());
    }

    void testEncodeAndDecodeAreSafeConcurrently() {
        const JsonSerializer s = serializer({{"style", "symfony"}});
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&s, &failures, t] {
                for (int i = 0; i < 2000; ++i) {
                    Message m("order.placed", "{\"n\":" + std::to_string(i) + "}");
                    m.setId(Id::generate());
                    m.setCreatedAt(i);
                    m.setHeader("thread", std::to_string(t));
                    Message back = s.decode(s.encode(m));
                    if (!(back.id() == m.id()) || back.payload() != m.payload() ||
                        back.headers() != m.headers() || back.createdAt() != i)
                        ++failures;
                }
            });
        for (auto& thread : threads)
            thread.join();
        CPPUNIT_ASSERT_EQUAL(0, failures.load());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(JsonSerializerTest);
