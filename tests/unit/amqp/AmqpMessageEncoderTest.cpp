// AmqpMessageEncoder without a broker: what it builds is serialised by rabbitmq-c's own
// property encoder (what amqp_basic_publish runs), parsed back by rabbitmq-c's decoder and
// handed to AmqpMessageDecoder, so every case is a byte-level round trip of the wire format.
#include "core/amqp/AmqpMessageEncoder.h"
#include "core/amqp/AmqpMessageDecoder.h"

#include <msgbus/Error.h>

#include <amqp_framing.h>
#include <cppunit/extensions/HelperMacros.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

using msgbus::FieldKind;
using msgbus::FieldTable;
using msgbus::FieldValue;
using msgbus::WireMessage;
using msgbus::core::amqp::AmqpMessageDecoder;
using msgbus::core::amqp::AmqpMessageEncoder;

namespace {

// The header frame's payload before the property flags: class id, weight and body size.
constexpr std::size_t kHeaderPrefix = 2 + 2 + 8;

// The property flags and properties as rabbitmq-c puts them on the wire.
std::string serialise(const AmqpMessageEncoder& encoder) {
    std::vector<char> buffer(1 << 20);
    int size = amqp_encode_properties(AMQP_BASIC_CLASS,
                                      const_cast<amqp_basic_properties_t*>(encoder.properties()),
                                      amqp_bytes_t{buffer.size(), buffer.data()});
    CPPUNIT_ASSERT_MESSAGE("amqp_encode_properties failed: " + std::to_string(size), size >= 0);
    return std::string(buffer.data(), static_cast<std::size_t>(size));
}

WireMessage parse(const std::string& serialised, amqp_bytes_t body) {
    amqp_pool_t pool;
    init_amqp_pool(&pool, 4096);
    void* decoded = nullptr;
    int rc = amqp_decode_properties(
        AMQP_BASIC_CLASS, &pool,
        amqp_bytes_t{serialised.size(), const_cast<char*>(serialised.data())}, &decoded);
    if (rc != AMQP_STATUS_OK) {
        empty_amqp_pool(&pool);
        CPPUNIT_FAIL("amqp_decode_properties failed: " + std::to_string(rc));
    }
    WireMessage back =
        AmqpMessageDecoder::decode(*static_cast<amqp_basic_properties_t*>(decoded), body);
    empty_amqp_pool(&pool);
    return back;
}

WireMessage roundTrip(const WireMessage& wire) {
    AmqpMessageEncoder encoder(wire);
    std::string serialised = serialise(encoder);
    // The size the publisher checks against frame_max is the size rabbitmq-c writes.
    CPPUNIT_ASSERT_EQUAL(kHeaderPrefix + serialised.size(), encoder.headerFrameSize());
    return parse(serialised, encoder.body());
}

WireMessage withHeaders(FieldTable headers) {
    WireMessage wire;
    wire.body = "{}";
    wire.properties.deliveryMode = 2;
    wire.headers = std::move(headers);
    return wire;
}

void assertSameHeaders(const FieldTable& expected, const FieldTable& actual) {
    CPPUNIT_ASSERT_EQUAL(expected.size(), actual.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        CPPUNIT_ASSERT_EQUAL(expected[i].key, actual[i].key);
        CPPUNIT_ASSERT_MESSAGE("header " + expected[i].key + " (" +
                                   msgbus::describeFieldKind(expected[i].value.kind) +
                                   ") changed on the wire",
                               expected[i].value == actual[i].value);
    }
}

FieldValue integer(FieldKind kind, std::int64_t value) {
    return FieldValue::ofInteger(kind, value);
}

// The error text of encoding wire, or "" when it encodes.
std::string encodeError(const WireMessage& wire) {
    try {
        AmqpMessageEncoder encoder(wire);
        return "";
    } catch (const msgbus::InvalidArgument& e) {
        return e.what();
    }
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

} // namespace

class AmqpMessageEncoderTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AmqpMessageEncoderTest);
    CPPUNIT_TEST(testEveryKindRoundTrips);
    CPPUNIT_TEST(testIntegerBoundariesRoundTrip);
    CPPUNIT_TEST(testUInt64AndTimestampKeepAll64Bits);
    CPPUNIT_TEST(testRealsRoundTripBitForBit);
    CPPUNIT_TEST(testBinaryStringsAndByteArraysRoundTripExactly);
    CPPUNIT_TEST(testNestedArraysAndTablesRoundTrip);
    CPPUNIT_TEST(testEmptyTablesAndArraysRoundTrip);
    CPPUNIT_TEST(testNoHeadersSendsNoHeaderTable);
    CPPUNIT_TEST(testEveryKindIsWrittenWithItsWireTag);
    CPPUNIT_TEST(testPropertiesRoundTrip);
    CPPUNIT_TEST(testDeliveryModeDefaultsToPersistent);
    CPPUNIT_TEST(testBodyIsTheMessagesBytes);
    CPPUNIT_TEST(testOutOfRangeIntegersAreRefusedNamingPathAndRange);
    CPPUNIT_TEST(testNonFiniteRealsAreRefused);
    CPPUNIT_TEST(testUnknownKindIsRefusedNamingThePath);
    CPPUNIT_TEST(testShortStringsLongerThan255BytesAreRefused);
    CPPUNIT_TEST(testShortStringsOfExactly255BytesRoundTrip);
    CPPUNIT_TEST(testEveryShortStringPropertyIsLimited);
    CPPUNIT_TEST(testEmptyKeyAndEmptyValuesRoundTrip);
    CPPUNIT_TEST(testLongValuesRoundTrip);
    CPPUNIT_TEST(testBareMessageHeaderFrameHoldsOnlyTheDeliveryMode);
    CPPUNIT_TEST(testEachKindAloneHasTheSizeRabbitmqWrites);
    CPPUNIT_TEST(testErrorInANestedValueNamesItsFullPath);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEveryKindRoundTrips() {
        FieldTable headers{
            {"t", FieldValue::ofBool(true)},
            {"b", integer(FieldKind::Int8, -7)},
            {"B", integer(FieldKind::UInt8, 200)},
            {"s", integer(FieldKind::Int16, -300)},
            {"u", integer(FieldKind::UInt16, 60000)},
            {"I", FieldValue::ofInt32(-70000)},
            {"i", integer(FieldKind::UInt32, 4000000000LL)},
            {"l", FieldValue::ofInt64(-9000000000LL)},
            {"L", integer(FieldKind::UInt64, 9000000000LL)},
            {"f", FieldValue::ofReal(FieldKind::Float, 0.5)},
            {"d", FieldValue::ofReal(FieldKind::Double, 1.0 / 3.0)},
            {"D", FieldValue::ofDecimal(2, 12345)},
            {"S", FieldValue::ofString("text")},
            {"x", FieldValue::ofBytes(std::string("\x00\x01", 2))},
            {"T", FieldValue::ofTimestamp(1700000000)},
            {"A", FieldValue::ofArray({FieldValue::ofString("a"), FieldValue::ofInt32(1)})},
            {"F", FieldValue::ofTable({{"k", FieldValue::ofString("v")}})},
            {"V", FieldValue::ofVoid()},
        };
        // One header of every kind the traits table lists.
        CPPUNIT_ASSERT_EQUAL(msgbus::fieldKinds.size(), headers.size());
        for (std::size_t i = 0; i < headers.size(); ++i)
            CPPUNIT_ASSERT(msgbus::fieldKinds[i].kind == headers[i].value.kind);
        assertSameHeaders(headers, roundTrip(withHeaders(headers)).headers);
    }

    void testIntegerBoundariesRoundTrip() {
        FieldTable headers;
        for (const auto& traits : msgbus::fieldKinds) {
            if (traits.category != msgbus::FieldCategory::Integer)
                continue;
            headers.push_back(
                {std::string(traits.name) + "-min", integer(traits.kind, traits.min)});
            headers.push_back(
                {std::string(traits.name) + "-max", integer(traits.kind, traits.max)});
            headers.push_back({std::string(traits.name) + "-zero", integer(traits.kind, 0)});
        }
        headers.push_back({"decimal-max", FieldValue::ofDecimal(255, UINT32_MAX)});
        headers.push_back({"decimal-zero", FieldValue::ofDecimal(0, 0)});
        CPPUNIT_ASSERT_EQUAL(std::size_t(8 * 3 + 2), headers.size());
        assertSameHeaders(headers, roundTrip(withHeaders(headers)).headers);
    }

    void testUInt64AndTimestampKeepAll64Bits() {
        FieldTable headers{
            {"u64-max", integer(FieldKind::UInt64, static_cast<std::int64_t>(UINT64_MAX))},
            {"u64-high-bit",
             integer(FieldKind::UInt64, static_cast<std::int64_t>(9223372036854775809ULL))},
            {"ts-negative", FieldValue::ofTimestamp(-1)},
            {"ts-max", FieldValue::ofTimestamp(INT64_MAX)}};
        FieldTable back = roundTrip(withHeaders(headers)).headers;
        assertSameHeaders(headers, back);
        CPPUNIT_ASSERT_EQUAL(UINT64_MAX, static_cast<std::uint64_t>(back[0].value.integer));
    }

    void testRealsRoundTripBitForBit() {
        FieldTable headers{
            {"f-third", FieldValue::ofReal(FieldKind::Float, static_cast<float>(1.0 / 3.0))},
            {"f-max", FieldValue::ofReal(FieldKind::Float, std::numeric_limits<float>::max())},
            {"f-tiny",
             FieldValue::ofReal(FieldKind::Float, std::numeric_limits<float>::denorm_min())},
            {"f-neg-zero", FieldValue::ofReal(FieldKind::Float, -0.0)},
            {"d-max", FieldValue::ofReal(FieldKind::Double, std::numeric_limits<double>::max())},
            {"d-tiny",
             FieldValue::ofReal(FieldKind::Double, std::numeric_limits<double>::denorm_min())},
            {"d-neg-zero", FieldValue::ofReal(FieldKind::Double, -0.0)}};
        FieldTable back = roundTrip(withHeaders(headers)).headers;
        assertSameHeaders(headers, back);
        CPPUNIT_ASSERT(std::signbit(back[3].value.real));
        CPPUNIT_ASSERT(std::signbit(back[6].value.real));
    }

    void testBinaryStringsAndByteArraysRoundTripExactly() {
        std::string everyByte;
        for (int b = 0; b < 256; ++b)
            everyByte += static_cast<char>(b);
        FieldTable headers{{"bytes", FieldValue::ofBytes(everyByte)},
                           {"string-not-utf8", FieldValue::ofString(everyByte)},
                           {"with-nul", FieldValue::ofString(std::string("a\0b", 3))},
                           {"empty-string", FieldValue::ofString("")},
                           {"empty-bytes", FieldValue::ofBytes("")},
                           {std::string("key\xff\x00", 5), FieldValue::ofString("odd key")}};
        WireMessage back = roundTrip(withHeaders(headers));
        assertSameHeaders(headers, back.headers);
        CPPUNIT_ASSERT(FieldKind::Bytes == back.headers[0].value.kind);
        CPPUNIT_ASSERT(FieldKind::String == back.headers[1].value.kind);
    }

    void testNestedArraysAndTablesRoundTrip() {
        FieldValue deep = FieldValue::ofArray(
            {FieldValue::ofArray(
                 {FieldValue::ofArray({FieldValue::ofInt32(1)}), FieldValue::ofArray({})}),
             FieldValue::ofTable({{"in-table", FieldValue::ofArray({FieldValue::ofVoid(),
                                                                    FieldValue::ofBool(false)})},
                                  {"bytes", FieldValue::ofBytes(std::string("\xff\x00", 2))}}),
             FieldValue::ofDecimal(3, 7)});
        FieldTable headers{
            {"deep", deep},
            {"outer", FieldValue::ofTable(
                          {{"inner", FieldValue::ofTable({{"n", FieldValue::ofInt64(-1)}})}})}};
        assertSameHeaders(headers, roundTrip(withHeaders(headers)).headers);
    }

    void testEmptyTablesAndArraysRoundTrip() {
        FieldTable headers{{"empty-table", FieldValue::ofTable({})},
                           {"empty-array", FieldValue::ofArray({})},
                           {"array-of-empties", FieldValue::ofArray({FieldValue::ofTable({}),
                                                                     FieldValue::ofArray({})})}};
        assertSameHeaders(headers, roundTrip(withHeaders(headers)).headers);
    }

    void testNoHeadersSendsNoHeaderTable() {
        const WireMessage wire = withHeaders({});
        AmqpMessageEncoder encoder(wire);
        CPPUNIT_ASSERT_EQUAL(amqp_flags_t(0),
                             encoder.properties()->_flags & AMQP_BASIC_HEADERS_FLAG);
        CPPUNIT_ASSERT(roundTrip(withHeaders({})).headers.empty());
    }

    // Flags (2 bytes), then the header table: its length (4), the key as a short string, and
    // the value's tag.
    void testEveryKindIsWrittenWithItsWireTag() {
        for (const auto& traits : msgbus::fieldKinds) {
            FieldValue value;
            value.kind = traits.kind;
            const WireMessage wire = withHeaders({{"k", value}}); // outlives the encoder
            AmqpMessageEncoder encoder(wire);
            std::string bytes = serialise(encoder);
            CPPUNIT_ASSERT(bytes.size() > 2 + 4 + 2);
            CPPUNIT_ASSERT_EQUAL(traits.byte, bytes[2 + 4 + 2]);
            CPPUNIT_ASSERT(traits.kind == parse(bytes, encoder.body()).headers.at(0).value.kind);
        }
    }

    void testPropertiesRoundTrip() {
        WireMessage wire = withHeaders({{"h", FieldValue::ofString("v")}});
        auto& p = wire.properties;
        p.contentType = "application/json";
        p.contentEncoding = "gzip";
        p.deliveryMode = 1;
        p.priority = 9;
        p.correlationId = "corr";
        p.replyTo = "reply.queue";
        p.expiration = "60000";
        p.messageId = std::string("id\x00\xff", 4);
        p.timestamp = 1700000000;
        p.type = "order.placed";
        p.userId = "guest";
        p.appId = "msgbus";
        WireMessage back = roundTrip(wire);
        CPPUNIT_ASSERT(wire.properties == back.properties);
        CPPUNIT_ASSERT(wire == back);
    }

    void testDeliveryModeDefaultsToPersistent() {
        WireMessage wire;
        wire.body = "x";
        WireMessage back = roundTrip(wire);
        CPPUNIT_ASSERT(back.properties.deliveryMode == std::uint8_t(2));
        CPPUNIT_ASSERT(!back.properties.messageId);
        CPPUNIT_ASSERT(!back.properties.timestamp);
    }

    void testBodyIsTheMessagesBytes() {
        WireMessage wire;
        wire.body = std::string("{\"a\":\"\x00\xff\"}", 10);
        AmqpMessageEncoder encoder(wire);
        CPPUNIT_ASSERT_EQUAL(wire.body.size(), encoder.body().len);
        CPPUNIT_ASSERT(encoder.body().bytes == wire.body.data());
    }

    void testOutOfRangeIntegersAreRefusedNamingPathAndRange() {
        const std::pair<FieldValue, const char*> cases[] = {
            {integer(FieldKind::Int8, 128), "(-128..127)"},
            {integer(FieldKind::Int8, -129), "(-128..127)"},
            {integer(FieldKind::UInt8, -1), "(0..255)"},
            {integer(FieldKind::Int16, 32768), "(-32768..32767)"},
            {integer(FieldKind::UInt16, 65536), "(0..65535)"},
            {integer(FieldKind::Int32, 2147483648LL), "(-2147483648..2147483647)"},
            {integer(FieldKind::UInt32, 4294967296LL), "(0..4294967295)"},
            {FieldValue::ofDecimal(2, -1), "(0..4294967295)"},
            {FieldValue::ofDecimal(2, 4294967296LL), "(0..4294967295)"}};
        for (const auto& [value, range] : cases) {
            WireMessage wire = withHeaders(
                {{"outer", FieldValue::ofTable({{"n", FieldValue::ofArray({value})}})}});
            std::string error = encodeError(wire);
            CPPUNIT_ASSERT_MESSAGE(error, contains(error, "header 'outer' 'n'[0]"));
            CPPUNIT_ASSERT_MESSAGE(error, contains(error, range));
            CPPUNIT_ASSERT_MESSAGE(
                error, contains(error, std::string("kind '") + msgbus::fieldKindByte(value.kind)));
        }
    }

    void testNonFiniteRealsAreRefused() {
        const double inf = std::numeric_limits<double>::infinity();
        for (const FieldValue& value :
             {FieldValue::ofReal(FieldKind::Double, std::nan("")),
              FieldValue::ofReal(FieldKind::Double, -inf),
              FieldValue::ofReal(FieldKind::Float, inf),
              // Finite as a double, infinite once narrowed to the float the wire carries.
              FieldValue::ofReal(FieldKind::Float, 1e300)}) {
            std::string error = encodeError(withHeaders({{"r", value}}));
            CPPUNIT_ASSERT_MESSAGE(error, contains(error, "header 'r': NaN and infinite"));
        }
    }

    void testUnknownKindIsRefusedNamingThePath() {
        FieldValue unknown;
        unknown.kind = static_cast<FieldKind>('?');
        std::string error =
            encodeError(withHeaders({{"a", FieldValue::ofArray({FieldValue::ofVoid(), unknown})}}));
        CPPUNIT_ASSERT_EQUAL(std::string("header 'a'[1]: unknown AMQP field kind '?'"), error);
    }

    void testShortStringsLongerThan255BytesAreRefused() {
        CPPUNIT_ASSERT_EQUAL(std::string(),
                             encodeError(withHeaders({{std::string(255, 'k'), FieldValue{}}})));
        CPPUNIT_ASSERT(contains(encodeError(withHeaders({{std::string(256, 'k'), FieldValue{}}})),
                                "256 bytes long; AMQP allows at most 255"));
        WireMessage wire = withHeaders({});
        wire.properties.messageId = std::string(256, 'm');
        CPPUNIT_ASSERT(contains(encodeError(wire), "property message_id is 256 bytes long"));
    }

    void testShortStringsOfExactly255BytesRoundTrip() {
        WireMessage wire = withHeaders({{std::string(255, 'k'), FieldValue::ofString("v")}});
        wire.properties.messageId = std::string(255, 'm');
        wire.properties.contentType = std::string(255, 'c');
        wire.properties.appId = std::string(255, '\xff');
        CPPUNIT_ASSERT(wire == roundTrip(wire));
    }

    void testEveryShortStringPropertyIsLimited() {
        const std::pair<const char*, std::optional<std::string> msgbus::AmqpProperties::*>
            properties[] = {{"content_type", &msgbus::AmqpProperties::contentType},
                            {"content_encoding", &msgbus::AmqpProperties::contentEncoding},
                            {"correlation_id", &msgbus::AmqpProperties::correlationId},
                            {"reply_to", &msgbus::AmqpProperties::replyTo},
                            {"expiration", &msgbus::AmqpProperties::expiration},
                            {"message_id", &msgbus::AmqpProperties::messageId},
                            {"type", &msgbus::AmqpProperties::type},
                            {"user_id", &msgbus::AmqpProperties::userId},
                            {"app_id", &msgbus::AmqpProperties::appId}};
        for (const auto& [name, member] : properties) {
            WireMessage wire = withHeaders({});
            wire.properties.*member = std::string(300, 'x');
            const std::string error = encodeError(wire);
            CPPUNIT_ASSERT_MESSAGE(
                name + (": " + error),
                contains(error, std::string("property ") + name + " is 300 bytes long"));
        }
    }

    void testEmptyKeyAndEmptyValuesRoundTrip() {
        WireMessage wire = withHeaders({{"", FieldValue::ofString("")},
                                        {"empty-bytes", FieldValue::ofBytes("")},
                                        {"empty-array", FieldValue::ofArray({})}});
        wire.properties.correlationId = "";
        wire.body = "";
        const WireMessage back = roundTrip(wire);
        assertSameHeaders(wire.headers, back.headers);
        CPPUNIT_ASSERT(back.properties.correlationId);
        CPPUNIT_ASSERT_EQUAL(std::string(), *back.properties.correlationId);
        CPPUNIT_ASSERT_EQUAL(std::string(), back.body);
    }

    void testLongValuesRoundTrip() {
        // Long strings and byte arrays have 32-bit lengths: far beyond a short string's 255.
        std::string bytes(70000, '\0');
        for (std::size_t i = 0; i < bytes.size(); ++i)
            bytes[i] = static_cast<char>(i * 7);
        const WireMessage wire =
            withHeaders({{"long", FieldValue::ofString(std::string(65536, 'a'))},
                         {"blob", FieldValue::ofBytes(bytes)}});
        assertSameHeaders(wire.headers, roundTrip(wire).headers);
    }

    void testBareMessageHeaderFrameHoldsOnlyTheDeliveryMode() {
        const WireMessage wire;
        const AmqpMessageEncoder encoder(wire);
        // Class, weight, body size, flags, and the delivery mode it always sends.
        CPPUNIT_ASSERT_EQUAL(std::size_t(15), encoder.headerFrameSize());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), encoder.body().len);
        CPPUNIT_ASSERT_EQUAL(kHeaderPrefix + serialise(encoder).size(), encoder.headerFrameSize());
    }

    void testEachKindAloneHasTheSizeRabbitmqWrites() {
        const FieldValue values[] = {FieldValue::ofBool(true),
                                     integer(FieldKind::Int8, 1),
                                     integer(FieldKind::UInt8, 1),
                                     integer(FieldKind::Int16, 1),
                                     integer(FieldKind::UInt16, 1),
                                     FieldValue::ofInt32(1),
                                     integer(FieldKind::UInt32, 1),
                                     FieldValue::ofInt64(1),
                                     integer(FieldKind::UInt64, 1),
                                     FieldValue::ofReal(FieldKind::Float, 1),
                                     FieldValue::ofReal(FieldKind::Double, 1),
                                     FieldValue::ofDecimal(1, 1),
                                     FieldValue::ofString("abc"),
                                     FieldValue::ofBytes("abc"),
                                     FieldValue::ofTimestamp(1),
                                     FieldValue::ofArray({FieldValue::ofInt32(1)}),
                                     FieldValue::ofTable({{"k", FieldValue::ofVoid()}}),
                                     FieldValue::ofVoid()};
        for (const FieldValue& value : values) {
            // roundTrip() compares headerFrameSize() with what rabbitmq-c serialised.
            const WireMessage wire = withHeaders({{"h", value}});
            assertSameHeaders(wire.headers, roundTrip(wire).headers);
            // Beyond the bare 15 bytes: the table's length, the name, the tag and the value.
            CPPUNIT_ASSERT(AmqpMessageEncoder(wire).headerFrameSize() >= 15u + 4 + 2 + 1);
        }
    }

    void testErrorInANestedValueNamesItsFullPath() {
        const WireMessage wire = withHeaders(
            {{"outer", FieldValue::ofTable(
                           {{"list", FieldValue::ofArray({FieldValue::ofInt32(1),
                                                          integer(FieldKind::UInt8, 256)})}})}});
        const std::string error = encodeError(wire);
        CPPUNIT_ASSERT_MESSAGE(error, contains(error, "header 'outer' 'list'[1]: value 256"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AmqpMessageEncoderTest);
