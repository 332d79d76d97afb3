#include <msgbus/Error.h>
#include <msgbus/internal/Json.h>

#include <cppunit/extensions/HelperMacros.h>

#include <string>

using namespace std::string_literals;
using msgbus::Message;
namespace json = msgbus::json;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// The message of the InvalidArgument requireObject() must throw.
std::string refused(const std::string& text, const std::string& what = "payload") {
    try {
        json::requireObject(text, what);
    } catch (const msgbus::InvalidArgument& e) {
        return e.what();
    }
    CPPUNIT_FAIL("accepted '" + text + "'");
    return {};
}

} // namespace

class JsonTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(JsonTest);
    CPPUNIT_TEST(testUtf8AcceptsAsciiAndEveryEncodedLength);
    CPPUNIT_TEST(testUtf8AcceptsEmptyTextAndNul);
    CPPUNIT_TEST(testUtf8RejectsOverlongEncodings);
    CPPUNIT_TEST(testUtf8RejectsSurrogates);
    CPPUNIT_TEST(testUtf8RejectsCodePointsAbove10ffff);
    CPPUNIT_TEST(testUtf8RejectsTruncatedSequences);
    CPPUNIT_TEST(testUtf8RejectsStrayContinuationAndInvalidBytes);
    CPPUNIT_TEST(testRequireObjectAcceptsObjects);
    CPPUNIT_TEST(testRequireObjectRejectsArrayNamingWhat);
    CPPUNIT_TEST(testRequireObjectRejectsScalars);
    CPPUNIT_TEST(testRequireObjectRejectsGarbage);
    CPPUNIT_TEST(testRequireObjectRejectsInvalidUtf8);
    CPPUNIT_TEST(testIsObjectNeverThrows);
    CPPUNIT_TEST(testQuoteEscapesQuotesBackslashesAndControlCharacters);
    CPPUNIT_TEST(testQuotePassesNonAsciiThrough);
    CPPUNIT_TEST(testHeadersRoundTrip);
    CPPUNIT_TEST(testEmptyHeadersAreAnEmptyObject);
    CPPUNIT_TEST(testHeadersFromObjectRejectsNonStringValues);
    CPPUNIT_TEST(testHeadersFromObjectRejectsTextThatIsNotAnObject);
    CPPUNIT_TEST_SUITE_END();

public:
    void testUtf8AcceptsAsciiAndEveryEncodedLength() {
        CPPUNIT_ASSERT(json::isValidUtf8("order.placed {\"a\":1}"));
        CPPUNIT_ASSERT(json::isValidUtf8("\xc2\x80"));         // U+0080, smallest 2-byte
        CPPUNIT_ASSERT(json::isValidUtf8("caf\xc3\xa9"));      // U+00E9
        CPPUNIT_ASSERT(json::isValidUtf8("\xdf\xbf"));         // U+07FF
        CPPUNIT_ASSERT(json::isValidUtf8("\xe0\xa0\x80"));     // U+0800, smallest 3-byte
        CPPUNIT_ASSERT(json::isValidUtf8("\xe2\x82\xac"));     // U+20AC euro sign
        CPPUNIT_ASSERT(json::isValidUtf8("\xed\x9f\xbf"));     // U+D7FF, just below surrogates
        CPPUNIT_ASSERT(json::isValidUtf8("\xee\x80\x80"));     // U+E000, just above surrogates
        CPPUNIT_ASSERT(json::isValidUtf8("\xef\xbf\xbf"));     // U+FFFF
        CPPUNIT_ASSERT(json::isValidUtf8("\xf0\x90\x80\x80")); // U+10000, smallest 4-byte
        CPPUNIT_ASSERT(json::isValidUtf8("\xf0\x9f\x98\x80")); // U+1F600
        CPPUNIT_ASSERT(json::isValidUtf8("\xf4\x8f\xbf\xbf")); // U+10FFFF, the last code point
    }

    void testUtf8AcceptsEmptyTextAndNul() {
        CPPUNIT_ASSERT(json::isValidUtf8(""));
        CPPUNIT_ASSERT(json::isValidUtf8("a\0b"s));
    }

    void testUtf8RejectsOverlongEncodings() {
        for (const char* bad : {"\xc0\x80", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf",
                                "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf"})
            CPPUNIT_ASSERT(!json::isValidUtf8(bad));
    }

    void testUtf8RejectsSurrogates() {
        for (const char* bad : {"\xed\xa0\x80", "\xed\xad\xbf", "\xed\xb0\x80", "\xed\xbf\xbf",
                                "\xed\xa0\xbd\xed\xb8\x80"}) // a CESU-8 surrogate pair
            CPPUNIT_ASSERT(!json::isValidUtf8(bad));
    }

    void testUtf8RejectsCodePointsAbove10ffff() {
        for (const char* bad : {"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf7\xbf\xbf\xbf",
                                "\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80"})
            CPPUNIT_ASSERT(!json::isValidUtf8(bad));
    }

    void testUtf8RejectsTruncatedSequences() {
        // "!" ends each hex escape and is the byte that should have been a continuation byte.
        for (const char* bad : {"\xc3", "\xe2\x82", "\xe2", "\xf0\x9f\x98", "\xf0\x9f", "abc\xc3",
                                "\xc3!", "\xe2\x82!", "\xf0\x9f\x98!", "\xe2\x82\xc3\xa9"})
            CPPUNIT_ASSERT(!json::isValidUtf8(bad));
    }

    void testUtf8RejectsStrayContinuationAndInvalidBytes() {
        for (const char* bad :
             {"\x80", "\xbf", "a\x80!", "\xc3\xa9\xa9", "\xfe", "\xff", "caf\xe9"}) // Latin-1
            CPPUNIT_ASSERT(!json::isValidUtf8(bad));
    }

    void testRequireObjectAcceptsObjects() {
        for (const char* ok :
             {"{}", " { } ", "{\"a\":1}", "{\"a\":[1,{\"b\":null}],\"c\":\"\xc3\xa9\"}",
              "\n{\"a\":\"\\u00e9\\n\"}\n"})
            CPPUNIT_ASSERT_NO_THROW(json::requireObject(ok, "payload"));
    }

    void testRequireObjectRejectsArrayNamingWhat() {
        std::string what = refused("[1,2]", "message 'order.placed' payload");
        CPPUNIT_ASSERT(contains(what, "message 'order.placed' payload: "));
        CPPUNIT_ASSERT(contains(what, "a JSON object is required"));
        CPPUNIT_ASSERT(contains(refused("[]"), "a JSON object is required"));
    }

    void testRequireObjectRejectsScalars() {
        for (const char* bad : {"1", "\"text\"", "true", "null"})
            CPPUNIT_ASSERT(contains(refused(bad), "payload: "));
    }

    void testRequireObjectRejectsGarbage() {
        for (const char* bad : {"", "{", "}", "{\"a\":}", "{\"a\" 1}", "{'a':1}", "{a:1}",
                                "{\"a\":1,}", "{} {}", "{}x", "hello", "{\"a\":NaN}"}) {
            std::string what = refused(bad);
            CPPUNIT_ASSERT_MESSAGE(bad, contains(what, "payload: not valid JSON"));
        }
    }

    void testRequireObjectRejectsInvalidUtf8() {
        CPPUNIT_ASSERT(contains(refused("{\"a\":\"caf\xe9\"}"), "payload: not valid UTF-8"));
    }

    void testIsObjectNeverThrows() {
        CPPUNIT_ASSERT(json::isObject("{\"a\":1}"));
        CPPUNIT_ASSERT(!json::isObject("[1]"));
        CPPUNIT_ASSERT(!json::isObject("{"));
        CPPUNIT_ASSERT(!json::isObject("\xff"));
        CPPUNIT_ASSERT(!json::isObject(""));
    }

    void testQuoteEscapesQuotesBackslashesAndControlCharacters() {
        CPPUNIT_ASSERT_EQUAL(R"("")"s, json::quote(""));
        CPPUNIT_ASSERT_EQUAL(R"("plain")"s, json::quote("plain"));
        CPPUNIT_ASSERT_EQUAL(R"("say \"hi\"")"s, json::quote("say \"hi\""));
        CPPUNIT_ASSERT_EQUAL(R"("C:\\tmp\\x")"s, json::quote("C:\\tmp\\x"));
        CPPUNIT_ASSERT_EQUAL(R"("a\nb\rc\td")"s, json::quote("a\nb\rc\td"));
        CPPUNIT_ASSERT_EQUAL(R"("\u0000\u0001\u001f")"s, json::quote("\0\x01\x1f"s));
        CPPUNIT_ASSERT_EQUAL(R"("/ is fine")"s, json::quote("/ is fine"));
    }

    void testQuotePassesNonAsciiThrough() {
        CPPUNIT_ASSERT_EQUAL("\"caf\xc3\xa9 \xf0\x9f\x98\x80\""s,
                             json::quote("caf\xc3\xa9 \xf0\x9f\x98\x80"));
    }

    void testHeadersRoundTrip() {
        Message::Headers headers{{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-01"},
                                 {"correlation-id", "c-1"},
                                 {"quote\"key", "back\\slash"},
                                 {"controls", "line1\nline2\t\x01"},
                                 {"nul", "a\0b"s},
                                 {"unicode", "caf\xc3\xa9 \xf0\x9f\x98\x80"},
                                 {"empty", ""},
                                 {"json", R"({"nested":[1,2]})"}};
        std::string text = json::toObject(headers);
        CPPUNIT_ASSERT(json::isObject(text));
        CPPUNIT_ASSERT(headers == json::headersFromObject(text));
    }

    void testEmptyHeadersAreAnEmptyObject() {
        CPPUNIT_ASSERT_EQUAL("{}"s, json::toObject({}));
        CPPUNIT_ASSERT(json::headersFromObject("{}").empty());
        // An empty column (rows written before headers existed) reads as no headers.
        CPPUNIT_ASSERT(json::headersFromObject("").empty());
    }

    void testHeadersFromObjectRejectsNonStringValues() {
        for (const char* bad : {R"({"a":1})", R"({"a":null})", R"({"a":{"b":"c"}})",
                                R"({"ok":"x","a":["b"]})", R"({"a":true})"}) {
            try {
                json::headersFromObject(bad);
                CPPUNIT_FAIL(std::string("accepted ") + bad);
            } catch (const msgbus::InvalidArgument& e) {
                CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "'a' is not a string"));
            }
        }
    }

    void testHeadersFromObjectRejectsTextThatIsNotAnObject() {
        for (const char* bad : {"[]", "{", "not json", "{\"a\":\"b\"} x"})
            CPPUNIT_ASSERT_THROW_MESSAGE(bad, json::headersFromObject(bad),
                                         msgbus::InvalidArgument);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(JsonTest);
