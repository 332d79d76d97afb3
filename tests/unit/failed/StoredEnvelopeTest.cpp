// StoredEnvelope: the headers column of the failed table, which a retry turns back into exactly
// the properties and headers that arrived.
#include "core/failed/StoredEnvelope.h"

#include <msgbus/Error.h>
#include <msgbus/internal/Json.h>

#include <cppunit/extensions/HelperMacros.h>

using msgbus::FieldKind;
using msgbus::FieldValue;
using msgbus::Id;
using msgbus::Message;
using msgbus::WireMessage;
using msgbus::core::envelopeFromJson;
using msgbus::core::envelopeToJson;

namespace {

WireMessage everyProperty() {
    WireMessage w;
    w.body = "{\"order\":42}";
    auto& p = w.properties;
    p.contentType = "application/json";
    p.contentEncoding = "utf-8";
    p.deliveryMode = 2;
    p.priority = 9;
    p.correlationId = "order-42";
    p.replyTo = "amq.rabbitmq.reply-to";
    p.expiration = "60000";
    p.messageId = "0190a6f2-3b4c-7d5e-8f60-1a2b3c4d5e6f";
    p.timestamp = 1700000000;
    p.type = "orders.PlaceOrder";
    p.userId = "guest";
    p.appId = "shop";
    return w;
}

WireMessage roundTrip(const WireMessage& w) {
    return envelopeFromJson(envelopeToJson(w), w.body);
}

std::string refusal(const std::string& json) {
    try {
        envelopeFromJson(json, "");
    } catch (const msgbus::InvalidArgument& e) {
        return e.what();
    }
    return "(accepted)";
}

} // namespace

class StoredEnvelopeTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StoredEnvelopeTest);
    CPPUNIT_TEST(testEveryPropertyRoundTrips);
    CPPUNIT_TEST(testUnsetPropertiesAreLeftOut);
    CPPUNIT_TEST(testEmptyStringIsKeptApartFromUnset);
    CPPUNIT_TEST(testBodyIsNotPartOfTheJson);
    CPPUNIT_TEST(testPropertyThatIsNotUtf8IsKeptExactlyAsBase64);
    CPPUNIT_TEST(testByteExtremesOfDeliveryModeAndPriorityRoundTrip);
    CPPUNIT_TEST(testTimestampExtremesRoundTrip);
    CPPUNIT_TEST(testHeadersKeepTheirKindsAndOrder);
    CPPUNIT_TEST(testJsonIsValidUtf8WhateverTheBytes);
    CPPUNIT_TEST(testEmptyObjectIsAnEmptyEnvelope);
    CPPUNIT_TEST(testTextThatIsNotJsonIsRefused);
    CPPUNIT_TEST(testJsonThatIsNotAnObjectIsRefused);
    CPPUNIT_TEST(testBadBase64IsRefusedNamingTheProperty);
    CPPUNIT_TEST(testPropertyOfTheWrongTypeIsRefusedNamingIt);
    CPPUNIT_TEST(testSectionThatIsNotAnObjectIsRefusedNamingIt);
    CPPUNIT_TEST(testOctetPropertyOutsideItsRangeIsRefusedNotWrapped);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEveryPropertyRoundTrips() {
        const WireMessage w = everyProperty();
        CPPUNIT_ASSERT(w == roundTrip(w));
    }

    void testUnsetPropertiesAreLeftOut() {
        WireMessage w;
        w.properties.messageId = "abc";
        w.properties.priority = 0;
        CPPUNIT_ASSERT_EQUAL(
            std::string("{\"properties\":{\"priority\":0,\"message_id\":\"abc\"},\"headers\":{}}"),
            envelopeToJson(w));
        const WireMessage back = roundTrip(w);
        CPPUNIT_ASSERT(!back.properties.contentType);
        CPPUNIT_ASSERT(!back.properties.timestamp);
        CPPUNIT_ASSERT(!back.properties.deliveryMode);
        CPPUNIT_ASSERT(w == back);
    }

    void testEmptyStringIsKeptApartFromUnset() {
        WireMessage w;
        w.properties.correlationId = "";
        const WireMessage back = roundTrip(w);
        CPPUNIT_ASSERT(back.properties.correlationId);
        CPPUNIT_ASSERT_EQUAL(std::string(), *back.properties.correlationId);
        CPPUNIT_ASSERT(!back.properties.replyTo);
    }

    void testBodyIsNotPartOfTheJson() {
        WireMessage w = everyProperty();
        w.body = "BODY-BYTES-NOT-IN-THE-COLUMN";
        const std::string json = envelopeToJson(w);
        CPPUNIT_ASSERT(json.find("BODY-BYTES") == std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("other body"), envelopeFromJson(json, "other body").body);
    }

    void testPropertyThatIsNotUtf8IsKeptExactlyAsBase64() {
        WireMessage w;
        w.properties.messageId = std::string("\xff\x00raw\x80", 6);
        w.properties.appId = std::string("\xc3", 1);
        const std::string json = envelopeToJson(w);
        CPPUNIT_ASSERT_MESSAGE(json, json.find("\"message_id\":{\"S64\":\"") != std::string::npos);
        const WireMessage back = roundTrip(w);
        CPPUNIT_ASSERT_EQUAL(std::size_t(6), back.properties.messageId->size());
        CPPUNIT_ASSERT(w == back);
    }

    void testByteExtremesOfDeliveryModeAndPriorityRoundTrip() {
        WireMessage w;
        w.properties.deliveryMode = 255;
        w.properties.priority = 0;
        CPPUNIT_ASSERT(w == roundTrip(w));
        w.properties.deliveryMode = 1;
        w.properties.priority = 255;
        CPPUNIT_ASSERT(w == roundTrip(w));
    }

    void testTimestampExtremesRoundTrip() {
        for (std::int64_t t : {std::int64_t(0), std::int64_t(-1), INT64_MAX, INT64_MIN}) {
            WireMessage w;
            w.properties.timestamp = t;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::to_string(t), t, *roundTrip(w).properties.timestamp);
        }
    }

    void testHeadersKeepTheirKindsAndOrder() {
        WireMessage w;
        w.headers = {
            {"z-first", FieldValue::ofString("s")},
            {"a-second", FieldValue::ofInteger(FieldKind::Int8, -5)},
            {"count", FieldValue::ofInteger(FieldKind::UInt16, 65535)},
            {"raw", FieldValue::ofBytes(std::string("\x00\xff", 2))},
            {"when", FieldValue::ofTimestamp(1700000000)},
            {"price", FieldValue::ofDecimal(2, 1999)},
            {"x-death",
             FieldValue::ofArray({FieldValue::ofTable(
                 {{"count", FieldValue::ofInt64(3)}, {"queue", FieldValue::ofString("orders")}})})},
            {"ratio", FieldValue::ofReal(FieldKind::Float, 0.5)},
            {"flag", FieldValue::ofBool(false)},
            {"none", FieldValue::ofVoid()},
        };
        const WireMessage back = roundTrip(w);
        CPPUNIT_ASSERT_EQUAL(w.headers.size(), back.headers.size());
        for (std::size_t i = 0; i < w.headers.size(); ++i) {
            CPPUNIT_ASSERT_EQUAL(w.headers[i].key, back.headers[i].key);
            CPPUNIT_ASSERT_MESSAGE(w.headers[i].key, w.headers[i].value == back.headers[i].value);
        }
    }

    void testJsonIsValidUtf8WhateverTheBytes() {
        // The column is utf8mb4: a row that is not valid UTF-8 would be refused.
        WireMessage w;
        w.properties.type = std::string("\xfe\xfe", 2);
        w.headers = {{"bin", FieldValue::ofString(std::string("\x80\x81", 2))}};
        const std::string json = envelopeToJson(w);
        CPPUNIT_ASSERT(msgbus::json::isValidUtf8(json));
        CPPUNIT_ASSERT(w == roundTrip(w));
    }

    void testEmptyObjectIsAnEmptyEnvelope() {
        const WireMessage back = envelopeFromJson("{}", "body");
        CPPUNIT_ASSERT(back.properties == msgbus::AmqpProperties());
        CPPUNIT_ASSERT(back.headers.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("body"), back.body);
    }

    void testTextThatIsNotJsonIsRefused() {
        const std::string why = refusal("{\"properties\":");
        CPPUNIT_ASSERT_MESSAGE(why, why.rfind("stored envelope is not a JSON object: ", 0) == 0);
        CPPUNIT_ASSERT(refusal("") != "(accepted)");
    }

    void testJsonThatIsNotAnObjectIsRefused() {
        for (const char* json : {"[1,2]", "\"text\"", "42", "null"}) {
            const std::string why = refusal(json);
            CPPUNIT_ASSERT_MESSAGE(json + (": " + why),
                                   why.rfind("stored envelope is not a JSON object", 0) == 0);
        }
    }

    void testBadBase64IsRefusedNamingTheProperty() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("stored envelope: property 'reply_to' has bad base64"),
            refusal("{\"properties\":{\"reply_to\":{\"S64\":\"!!not base64!!\"}},\"headers\":{}}"));
    }

    void testPropertyOfTheWrongTypeIsRefusedNamingIt() {
        // A row edited by hand: the failed row's reason must say which property is wrong.
        const std::pair<const char*, const char*> cases[] = {
            {"{\"properties\":{\"priority\":\"high\"}}", "priority"},
            {"{\"properties\":{\"timestamp\":[1]}}", "timestamp"},
            {"{\"properties\":{\"message_id\":{\"x\":1}}}", "message_id"},
            {"{\"properties\":{\"delivery_mode\":{}}}", "delivery_mode"}};
        for (const auto& [json, key] : cases) {
            const std::string why = refusal(json);
            CPPUNIT_ASSERT_MESSAGE(
                json + (": " + why),
                why.rfind(std::string("stored envelope: property '") + key + "' has the wrong type",
                          0) == 0);
        }
    }

    void testSectionThatIsNotAnObjectIsRefusedNamingIt() {
        CPPUNIT_ASSERT_EQUAL(std::string("stored envelope: 'headers' is not a JSON object"),
                             refusal("{\"properties\":{},\"headers\":[]}"));
        CPPUNIT_ASSERT_EQUAL(std::string("stored envelope: 'properties' is not a JSON object"),
                             refusal("{\"properties\":\"none\"}"));
    }

    void testOctetPropertyOutsideItsRangeIsRefusedNotWrapped() {
        // 300 once became priority 44: a different message than the one that failed.
        CPPUNIT_ASSERT_EQUAL(
            std::string("stored envelope: property 'priority' is 300, outside 0..255"),
            refusal("{\"properties\":{\"priority\":300}}"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("stored envelope: property 'delivery_mode' is -1, outside 0..255"),
            refusal("{\"properties\":{\"delivery_mode\":-1}}"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StoredEnvelopeTest);
