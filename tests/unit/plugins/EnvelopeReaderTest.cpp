// Where JsonSerializer::decode() finds a message's id, name, creation time and partition key
// (EnvelopeReader), in both wire forms, and how it says what is wrong with them.
#include "unit/plugins/JsonSerializerFixtures.h"

#include <string>

using namespace msgbus::test::json;

class EnvelopeReaderTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(EnvelopeReaderTest);
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
    CPPUNIT_TEST(testNonIntegerCreatedAtIsMalformed);
    CPPUNIT_TEST(testUnsignedCreatedAtAboveInt64IsMalformed);
    CPPUNIT_TEST(testStampThatIsNotJsonIsMalformed);
    CPPUNIT_TEST(testStampThatIsNotAnArrayOfObjectsIsMalformed);
    CPPUNIT_TEST(testStampWithoutStringMessageIdIsMalformed);
    CPPUNIT_TEST(testStampWithInvalidIdIsMalformed);
    CPPUNIT_TEST(testStampOfNonStringTypeIsMalformed);
    CPPUNIT_TEST(testPartitionKeyIsDecoded);
    CPPUNIT_TEST(testPartitionKeyWithoutTextFormIsMalformed);
    CPPUNIT_TEST(testNonStringIdHeaderNamesEveryKindByNameAndTag);
    CPPUNIT_TEST(testCreatedAtOfEveryNonIntegerKindIsMalformed);
    CPPUNIT_TEST_SUITE_END();

public:
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
        for (FieldKind kind :
             {FieldKind::Int8, FieldKind::UInt8, FieldKind::Int16, FieldKind::UInt16,
              FieldKind::Int32, FieldKind::UInt32, FieldKind::Int64, FieldKind::UInt64}) {
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

    void testNonIntegerCreatedAtIsMalformed() {
        for (const FieldValue& bad :
             {FieldValue::ofString("1720000000123"),
              FieldValue::ofReal(FieldKind::Double, 1720000000123.0), FieldValue::ofTimestamp(1)}) {
            WireMessage wire = msgbusWire();
            wire.headers.push_back({"x-created-at", bad});
            auto e = decodeFails(wire);
            CPPUNIT_ASSERT_EQUAL(std::string("header x-created-at"), e.field());
            CPPUNIT_ASSERT(contains(e.what(), "integer"));
        }
    }

    void testUnsignedCreatedAtAboveInt64IsMalformed() {
        // 2^63 as a uint64 header: read as a signed number it would be a time before 1970.
        WireMessage wire = msgbusWire();
        wire.headers.push_back(
            {"x-created-at", FieldValue::ofInteger(FieldKind::UInt64, std::int64_t(1) << 63)});
        auto e = decodeFails(wire);
        CPPUNIT_ASSERT_EQUAL(std::string("header x-created-at"), e.field());
        CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "9223372036854775808 is out of range"));
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

    void testNonStringIdHeaderNamesEveryKindByNameAndTag() {
        for (const auto& traits : msgbus::fieldKinds) {
            if (traits.kind == FieldKind::String || traits.kind == FieldKind::Bytes)
                continue;
            WireMessage wire = msgbusWire();
            wire.headers.at(0).value.kind = traits.kind;
            auto e = decodeFails(wire);
            CPPUNIT_ASSERT_EQUAL(std::string("header x-message-id"), e.field());
            CPPUNIT_ASSERT_MESSAGE(e.what(),
                                   contains(e.what(), msgbus::describeFieldKind(traits.kind)));
        }
    }

    void testCreatedAtOfEveryNonIntegerKindIsMalformed() {
        for (const auto& traits : msgbus::fieldKinds) {
            if (traits.category == msgbus::FieldCategory::Integer)
                continue;
            WireMessage wire = msgbusWire();
            FieldValue value;
            value.kind = traits.kind;
            wire.headers.push_back({"x-created-at", value});
            auto e = decodeFails(wire);
            CPPUNIT_ASSERT_EQUAL(std::string("header x-created-at"), e.field());
            CPPUNIT_ASSERT_MESSAGE(e.what(),
                                   contains(e.what(), msgbus::describeFieldKind(traits.kind)));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(EnvelopeReaderTest);
