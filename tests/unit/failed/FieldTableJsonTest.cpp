#include "core/failed/FieldTableJson.h"

#include <msgbus/Error.h>

#include <cppunit/extensions/HelperMacros.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

using msgbus::FieldEntry;
using msgbus::FieldKind;
using msgbus::FieldTable;
using msgbus::FieldValue;
using msgbus::core::fieldTableFromJson;
using msgbus::core::fieldTableToJson;

namespace {

// Every kind at its extremes, nested.
FieldTable everyKind() {
    const std::string nonUtf8("\xff\xfe\x00\x80 bytes", 10);
    FieldTable nested{
        {"k", FieldValue::ofString("v")},
        {"deeper", FieldValue::ofArray(
                       {FieldValue::ofTable({{"x", FieldValue::ofInteger(FieldKind::Int64, -1)}}),
                        FieldValue::ofVoid()})}};
    return FieldTable{
        {"x-message-id", FieldValue::ofString("0190a6f2-3b4c-7d5e-8f60-1a2b3c4d5e6f")},
        {"flag-true", FieldValue::ofBool(true)},
        {"flag-false", FieldValue::ofBool(false)},
        {"i8-min", FieldValue::ofInteger(FieldKind::Int8, INT8_MIN)},
        {"i8-max", FieldValue::ofInteger(FieldKind::Int8, INT8_MAX)},
        {"u8-max", FieldValue::ofInteger(FieldKind::UInt8, UINT8_MAX)},
        {"i16-min", FieldValue::ofInteger(FieldKind::Int16, INT16_MIN)},
        {"u16-max", FieldValue::ofInteger(FieldKind::UInt16, UINT16_MAX)},
        {"i32-min", FieldValue::ofInteger(FieldKind::Int32, INT32_MIN)},
        {"u32-max", FieldValue::ofInteger(FieldKind::UInt32, UINT32_MAX)},
        {"i64-min", FieldValue::ofInteger(FieldKind::Int64, INT64_MIN)},
        {"i64-max", FieldValue::ofInteger(FieldKind::Int64, INT64_MAX)},
        {"u64-max",
         FieldValue::ofInteger(FieldKind::UInt64, static_cast<std::int64_t>(UINT64_MAX))},
        {"u64-big", FieldValue::ofInteger(FieldKind::UInt64,
                                          static_cast<std::int64_t>(9223372036854775809ull))},
        {"f-third", FieldValue::ofReal(FieldKind::Float, static_cast<float>(1.0 / 3.0))},
        {"f-tiny", FieldValue::ofReal(FieldKind::Float, std::numeric_limits<float>::denorm_min())},
        {"f-max", FieldValue::ofReal(FieldKind::Float, std::numeric_limits<float>::max())},
        {"f-integral", FieldValue::ofReal(FieldKind::Float, 3.0)},
        {"d-third", FieldValue::ofReal(FieldKind::Double, 1.0 / 3.0)},
        {"d-max", FieldValue::ofReal(FieldKind::Double, std::numeric_limits<double>::max())},
        {"d-tiny",
         FieldValue::ofReal(FieldKind::Double, std::numeric_limits<double>::denorm_min())},
        {"d-inf", FieldValue::ofReal(FieldKind::Double, std::numeric_limits<double>::infinity())},
        {"d-minus-inf",
         FieldValue::ofReal(FieldKind::Double, -std::numeric_limits<double>::infinity())},
        {"price", FieldValue::ofDecimal(2, 12345)},
        {"decimal-max", FieldValue::ofDecimal(255, UINT32_MAX)},
        {"text", FieldValue::ofString("h\xc3\xa9llo \"quoted\" \\ \n\t\x01 \xf0\x9f\x98\x80")},
        {"empty", FieldValue::ofString("")},
        {"with-nul", FieldValue::ofString(std::string("a\0b", 3))},
        {"not-utf8", FieldValue::ofString(nonUtf8)},
        {"bin", FieldValue::ofBytes(std::string("\x00\x01\xff\xfe\x80", 5))},
        {"bin-empty", FieldValue::ofBytes("")},
        {"bin-1", FieldValue::ofBytes("a")},
        {"bin-2", FieldValue::ofBytes("ab")},
        {"when", FieldValue::ofTimestamp(1700000000)},
        {"list", FieldValue::ofArray({FieldValue::ofString("a"), FieldValue::ofInt32(1),
                                      FieldValue::ofArray({}), FieldValue::ofBytes(nonUtf8)})},
        {"nested", FieldValue::ofTable(nested)},
        {"empty-table", FieldValue::ofTable({})},
        {"nothing", FieldValue::ofVoid()},
    };
}

} // namespace

class FieldTableJsonTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FieldTableJsonTest);
    CPPUNIT_TEST(testEveryKindRoundTripsExactly);
    CPPUNIT_TEST(testWritesTheDocumentedFormat);
    CPPUNIT_TEST(testNonUtf8StringRoundTripsByteForByteAsS64);
    CPPUNIT_TEST(testNegativeZeroAndNaNSurvive);
    CPPUNIT_TEST(testKeyOrderIsKept);
    CPPUNIT_TEST(testNonUtf8KeyRoundTripsThroughK64);
    CPPUNIT_TEST(testEmptyTable);
    CPPUNIT_TEST(testReadsHandWrittenJson);
    CPPUNIT_TEST(testBadJsonThrowsInvalidArgument);
    CPPUNIT_TEST(testOutOfRangeValueIsRefusedWhenWriting);
    CPPUNIT_TEST(testEveryKindIsWrittenUnderItsWireTag);
    CPPUNIT_TEST(testOneLetterNamesThatAreNoTagAreRefused);
    CPPUNIT_TEST(testBase64MustBeInItsCanonicalForm);
    CPPUNIT_TEST(testOutOfRangeErrorNamesPathAndRange);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEveryKindRoundTripsExactly() {
        FieldTable table = everyKind();
        std::string json = fieldTableToJson(table);
        FieldTable back = fieldTableFromJson(json);
        CPPUNIT_ASSERT_EQUAL(table.size(), back.size());
        for (std::size_t i = 0; i < table.size(); ++i) {
            CPPUNIT_ASSERT_EQUAL(table[i].key, back[i].key);
            CPPUNIT_ASSERT_MESSAGE("header " + table[i].key + " changed: " + json,
                                   table[i].value == back[i].value);
        }
        // Idempotent: writing what was read gives the same text.
        CPPUNIT_ASSERT_EQUAL(json, fieldTableToJson(back));
    }

    void testWritesTheDocumentedFormat() {
        FieldTable table{
            {"x-message-id", FieldValue::ofString("0190")},
            {"count", FieldValue::ofInt64(5)},
            {"bin", FieldValue::ofBytes(std::string("\x00\x01", 2))},
            {"flag", FieldValue::ofBool(true)},
            {"list", FieldValue::ofArray({FieldValue::ofString("a"), FieldValue::ofInt32(1)})},
            {"nested", FieldValue::ofTable({{"k", FieldValue::ofString("v")}})},
            {"nothing", FieldValue::ofVoid()},
            {"price", FieldValue::ofDecimal(2, 12345)},
            {"f", FieldValue::ofReal(FieldKind::Double, 1.5)},
            {"u", FieldValue::ofInteger(FieldKind::UInt64, -1)}};
        CPPUNIT_ASSERT_EQUAL(
            std::string(
                R"({"x-message-id":{"S":"0190"},"count":{"l":5},"bin":{"x":"AAE="},)"
                R"("flag":{"t":true},"list":{"A":[{"S":"a"},{"I":1}]},"nested":{"F":{"k":{"S":"v"}}},)"
                R"("nothing":{"V":null},"price":{"D":[2,12345]},"f":{"d":1.5},)"
                R"("u":{"L":18446744073709551615}})"),
            fieldTableToJson(table));
    }

    void testNonUtf8StringRoundTripsByteForByteAsS64() {
        const std::string raw("\xc3\x28\x00\xff", 4);
        FieldTable table{{"s", FieldValue::ofString(raw)}};
        std::string json = fieldTableToJson(table);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"s":{"S64":"wygA/w=="}})"), json);
        FieldTable back = fieldTableFromJson(json);
        CPPUNIT_ASSERT(FieldKind::String == back.at(0).value.kind);
        CPPUNIT_ASSERT(raw == back.at(0).value.text);
    }

    void testNegativeZeroAndNaNSurvive() {
        FieldTable table{{"neg-zero", FieldValue::ofReal(FieldKind::Double, -0.0)},
                         {"f-neg-zero", FieldValue::ofReal(FieldKind::Float, -0.0)},
                         {"nan", FieldValue::ofReal(FieldKind::Double,
                                                    std::numeric_limits<double>::quiet_NaN())},
                         {"f-inf", FieldValue::ofReal(FieldKind::Float,
                                                      std::numeric_limits<double>::infinity())}};
        FieldTable back = fieldTableFromJson(fieldTableToJson(table));
        CPPUNIT_ASSERT(std::signbit(back.at(0).value.real));
        CPPUNIT_ASSERT_EQUAL(0.0, back.at(0).value.real);
        CPPUNIT_ASSERT(std::signbit(back.at(1).value.real));
        CPPUNIT_ASSERT(FieldKind::Float == back.at(1).value.kind);
        CPPUNIT_ASSERT(std::isnan(back.at(2).value.real));
        CPPUNIT_ASSERT(std::isinf(back.at(3).value.real));
        CPPUNIT_ASSERT(FieldKind::Float == back.at(3).value.kind);
    }

    void testKeyOrderIsKept() {
        FieldTable table;
        for (const char* key : {"zulu", "alpha", "mike", "bravo", "yankee", "charlie"})
            table.push_back(FieldEntry{key, FieldValue::ofString(key)});
        FieldTable back = fieldTableFromJson(fieldTableToJson(table));
        CPPUNIT_ASSERT(table == back);
        // Also for nested tables and for JSON written by someone else.
        FieldTable fromText =
            fieldTableFromJson(R"({"b":{"F":{"z":{"I":1},"a":{"I":2}}},"a":{"V":null}})");
        CPPUNIT_ASSERT_EQUAL(std::string("b"), fromText.at(0).key);
        CPPUNIT_ASSERT_EQUAL(std::string("z"), fromText.at(0).value.table.at(0).key);
        CPPUNIT_ASSERT_EQUAL(std::string("a"), fromText.at(0).value.table.at(1).key);
        CPPUNIT_ASSERT_EQUAL(std::string("a"), fromText.at(1).key);
    }

    void testNonUtf8KeyRoundTripsThroughK64() {
        const std::string key("bad\xff", 4);
        FieldTable table{{key, FieldValue::ofInt64(7)}, {"good", FieldValue::ofInt64(8)}};
        std::string json = fieldTableToJson(table);
        CPPUNIT_ASSERT(json.find("\"k64\"") != std::string::npos);
        FieldTable back = fieldTableFromJson(json);
        CPPUNIT_ASSERT(table == back);
    }

    void testEmptyTable() {
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), fieldTableToJson({}));
        CPPUNIT_ASSERT(fieldTableFromJson("{}").empty());
        CPPUNIT_ASSERT(fieldTableFromJson(" { } ").empty());
    }

    void testReadsHandWrittenJson() {
        FieldTable t = fieldTableFromJson(
            R"({"x-message-id":{"S":"0190"},"count":{"l":5},"bin":{"x":"AAE="},"flag":{"t":true},)"
            R"("list":{"A":[{"S":"a"},{"I":1}]},"nested":{"F":{"k":{"S":"v"}}},"nothing":{"V":null},)"
            R"("price":{"D":[2,12345]},"f":{"d":1.5},"g":{"f":2},"h":{"d":"Infinity"}})");
        CPPUNIT_ASSERT_EQUAL(std::size_t(11), t.size());
        CPPUNIT_ASSERT(std::string("\x00\x01", 2) == t[2].value.text);
        CPPUNIT_ASSERT(FieldKind::Bytes == t[2].value.kind);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(5), t[1].value.integer);
        CPPUNIT_ASSERT_EQUAL(std::uint8_t(2), t[7].value.decimals);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(12345), t[7].value.integer);
        CPPUNIT_ASSERT_EQUAL(2.0, t[9].value.real);
        CPPUNIT_ASSERT(std::isinf(t[10].value.real));
    }

    void testBadJsonThrowsInvalidArgument() {
        for (const char* bad : {
                 "",
                 "not json",
                 "{",
                 "[]",
                 "5",
                 R"({"a":5})",
                 R"({"a":{}})",
                 R"({"a":{"Q":1}})",
                 R"({"a":{"SS":"x"}})",
                 R"({"a":{"S":"x","l":1}})",
                 R"({"a":{"S":1}})",
                 R"({"a":{"l":1.5}})",
                 R"({"a":{"l":"1"}})",
                 R"({"a":{"l":true}})",
                 R"({"a":{"t":1}})",
                 R"({"a":{"b":128}})",
                 R"({"a":{"B":-1}})",
                 R"({"a":{"u":65536}})",
                 R"({"a":{"i":-1}})",
                 R"({"a":{"l":9223372036854775808}})",
                 R"({"a":{"L":-1}})",
                 R"({"a":{"L":18446744073709551616}})",
                 R"({"a":{"L":100000000000000000000}})",
                 R"({"a":{"l":-9223372036854775809}})",
                 R"({"a":{"f":1e300}})",
                 R"({"a":{"d":"big"}})",
                 R"({"a":{"D":[2]}})",
                 R"({"a":{"D":[256,1]}})",
                 R"({"a":{"D":[2,-1]}})",
                 R"({"a":{"x":"!!!!"}})",
                 R"({"a":{"x":"AAE"}})",
                 R"({"a":{"x":"A=AA"}})",
                 R"({"a":{"S64":"*"}})",
                 R"({"a":{"A":{}}})",
                 R"({"a":{"A":[1]}})",
                 R"({"a":{"F":[]}})",
                 R"({"a":{"V":0}})",
                 R"({"a":{"S":"x","k64":"%%"}})",
             }) {
            try {
                fieldTableFromJson(bad);
                CPPUNIT_FAIL(std::string("accepted ") + bad);
            } catch (const msgbus::InvalidArgument& e) {
                CPPUNIT_ASSERT(std::strlen(e.what()) > 0);
            }
        }
    }

    void testOutOfRangeValueIsRefusedWhenWriting() {
        CPPUNIT_ASSERT_THROW(fieldTableToJson({{"a", FieldValue::ofInteger(FieldKind::Int8, 300)}}),
                             msgbus::InvalidArgument);
        FieldValue unknownKind = FieldValue::ofInteger(FieldKind::Int64, 1);
        unknownKind.kind = static_cast<FieldKind>('?'); // no factory makes such a kind
        CPPUNIT_ASSERT_THROW(fieldTableToJson({{"a", unknownKind}}), msgbus::InvalidArgument);
        CPPUNIT_ASSERT_THROW(fieldTableToJson({{"a", FieldValue::ofDecimal(1, -5)}}),
                             msgbus::InvalidArgument);
    }

    void testEveryKindIsWrittenUnderItsWireTag() {
        for (const auto& traits : msgbus::fieldKinds) {
            FieldValue value;
            value.kind = traits.kind;
            std::string json = fieldTableToJson({{"a", value}});
            CPPUNIT_ASSERT_MESSAGE(
                json, json.rfind(std::string("{\"a\":{\"") + traits.byte + "\":", 0) == 0);
            FieldTable back = fieldTableFromJson(json);
            CPPUNIT_ASSERT_MESSAGE(json, back.at(0).value == value);
        }
    }

    void testOneLetterNamesThatAreNoTagAreRefused() {
        for (char c = '0'; c <= 'z'; ++c) {
            if (msgbus::findFieldKindByte(c) || c == '"' || c == '\\')
                continue;
            std::string json = std::string(R"({"a":{")") + c + R"(":null}})";
            try {
                fieldTableFromJson(json);
                CPPUNIT_FAIL("accepted " + json);
            } catch (const msgbus::InvalidArgument& e) {
                CPPUNIT_ASSERT_MESSAGE(e.what(), std::strstr(e.what(), "unknown kind") != nullptr);
            }
        }
    }

    // Poco's decoder alone would take white space, a missing '=' or '=' in the middle; the
    // stored format has one spelling only.
    void testBase64MustBeInItsCanonicalForm() {
        for (const char* bad :
             {R"({"a":{"x":"A AE"}})", R"({"a":{"x":"YQ==YQ=="}})", R"({"a":{"x":"YQ"}})",
              R"({"a":{"S64":"YQ="}})", R"({"a":{"S":"x","k64":"YQ"}})"})
            CPPUNIT_ASSERT_THROW_MESSAGE(bad, fieldTableFromJson(bad), msgbus::InvalidArgument);
        CPPUNIT_ASSERT_EQUAL(std::string("a"),
                             fieldTableFromJson(R"({"a":{"x":"YQ=="}})").at(0).value.text);
    }

    void testOutOfRangeErrorNamesPathAndRange() {
        FieldTable table{
            {"outer",
             FieldValue::ofTable(
                 {{"n", FieldValue::ofArray({FieldValue::ofInteger(FieldKind::UInt16, 70000)})}})}};
        try {
            fieldTableToJson(table);
            CPPUNIT_FAIL("accepted 70000 as uint16");
        } catch (const msgbus::InvalidArgument& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("header 'outer' 'n'[0]: value 70000 does not fit AMQP "
                                             "field kind 'u' (0..65535)"),
                                 std::string(e.what()));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FieldTableJsonTest);
