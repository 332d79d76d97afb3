// Which wire headers JsonSerializer::decode() copies into Message headers, and as what text
// (EnvelopeReader::headerText).
#include "unit/plugins/JsonSerializerFixtures.h"

#include <map>
#include <optional>
#include <string>

using namespace msgbus::test::json;

class EnvelopeReaderHeadersTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(EnvelopeReaderHeadersTest);
    CPPUNIT_TEST(testWireBytesInErrorsAreEscapedToPrintableAscii);
    CPPUNIT_TEST(testApplicationHeadersAreConvertedToText);
    CPPUNIT_TEST(testHeadersWithoutTextFormAreSkipped);
    CPPUNIT_TEST(testReservedHeadersAreNotCopied);
    CPPUNIT_TEST(testFirstOfDuplicateHeadersWins);
    CPPUNIT_TEST(testHeaderTextOfEveryKindFollowsItsCategory);
    CPPUNIT_TEST_SUITE_END();

public:
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
        add("b", FieldValue::ofInteger(FieldKind::Int8, -8));
        add("B", FieldValue::ofInteger(FieldKind::UInt8, 255));
        add("sh", FieldValue::ofInteger(FieldKind::Int16, -300));
        add("u", FieldValue::ofInteger(FieldKind::UInt16, 65535));
        add("I", FieldValue::ofInt32(-70000));
        add("i", FieldValue::ofInteger(FieldKind::UInt32, 4294967295));
        add("l", FieldValue::ofInt64(-9000000000));
        add("L", FieldValue::ofInteger(FieldKind::UInt64, -1)); // 2^64-1 kept in the int64's bits
        add("t", FieldValue::ofBool(true));
        add("f", FieldValue::ofBool(false));
        add("float", FieldValue::ofReal(FieldKind::Float, static_cast<double>(0.1f)));
        add("double", FieldValue::ofReal(FieldKind::Double, 2.5));
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

    // One header of every kind the traits table lists: the category decides the text form.
    void testHeaderTextOfEveryKindFollowsItsCategory() {
        WireMessage wire = msgbusWire();
        std::map<std::string, std::string> expected;
        for (const auto& traits : msgbus::fieldKinds) {
            FieldValue value;
            value.kind = traits.kind;
            std::optional<std::string> text;
            switch (traits.category) {
            case msgbus::FieldCategory::Integer:
            case msgbus::FieldCategory::Timestamp:
                value.integer = traits.min;
                text = traits.uint64Bits ? "9223372036854775808" : std::to_string(traits.min);
                break;
            case msgbus::FieldCategory::Boolean:
                value.boolean = true;
                text = "true";
                break;
            case msgbus::FieldCategory::Real:
                value.real = 0.25;
                text = "0.25";
                break;
            case msgbus::FieldCategory::String:
            case msgbus::FieldCategory::Bytes:
                value.text = std::string(traits.name);
                text = std::string(traits.name);
                break;
            default:
                break; // decimals, arrays, tables and void have no text form
            }
            const std::string key = "h-" + std::string(1, traits.byte);
            wire.headers.push_back({key, value});
            if (text)
                expected[key] = *text;
        }
        Message::Headers headers = serializer().decode(wire).headers();
        CPPUNIT_ASSERT_EQUAL(std::size_t(14), expected.size());
        CPPUNIT_ASSERT(Message::Headers(expected.begin(), expected.end()) == headers);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(EnvelopeReaderHeadersTest);
