// Text made storable: invalid UTF-8 replaced, cuts that never split a character.
#include "core/util/Utf8Text.h"

#include <msgbus/internal/Json.h>

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus::core;

class Utf8TextTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(Utf8TextTest);
    CPPUNIT_TEST(testValidTextIsUnchanged);
    CPPUNIT_TEST(testEachInvalidByteBecomesAReplacementCharacter);
    CPPUNIT_TEST(testTruncatedSequenceAtTheEndIsReplaced);
    CPPUNIT_TEST(testOverlongAndSurrogateEncodingsAreInvalid);
    CPPUNIT_TEST(testNulBytesAreKept);
    CPPUNIT_TEST(testPrefixNeverEndsInsideACharacter);
    CPPUNIT_TEST(testPrefixOfShortTextIsTheText);
    CPPUNIT_TEST(testStorableTextSaysByHowMuchItWasCut);
    CPPUNIT_TEST(testStorableTextIsAlwaysValid);
    CPPUNIT_TEST(testSingleLineTextKeepsPrintableText);
    CPPUNIT_TEST(testSingleLineTextEscapesEveryControlCharacter);
    CPPUNIT_TEST(testSingleLineTextEscapesEachInvalidByte);
    CPPUNIT_TEST_SUITE_END();

public:
    void testValidTextIsUnchanged() {
        const std::string text = "plain, caf\xc3\xa9, \xe2\x82\xac, \xf0\x9f\x98\x80";
        CPPUNIT_ASSERT_EQUAL(text, lossyUtf8(text));
    }

    void testEachInvalidByteBecomesAReplacementCharacter() {
        CPPUNIT_ASSERT_EQUAL(std::string("a\xef\xbf\xbd"
                                         "b\xef\xbf\xbd\xef\xbf\xbd"),
                             lossyUtf8("a\xff"
                                       "b\xfe\xfd"));
    }

    void testTruncatedSequenceAtTheEndIsReplaced() {
        const std::string out = lossyUtf8("ok\xe2\x82");
        CPPUNIT_ASSERT(msgbus::json::isValidUtf8(out));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), out.substr(0, 2));
        CPPUNIT_ASSERT(out.size() > 2);
    }

    void testOverlongAndSurrogateEncodingsAreInvalid() {
        CPPUNIT_ASSERT(msgbus::json::isValidUtf8(lossyUtf8("\xc0\xaf")));
        CPPUNIT_ASSERT(lossyUtf8("\xc0\xaf") != std::string("\xc0\xaf"));
        CPPUNIT_ASSERT(lossyUtf8("\xed\xa0\x80") != std::string("\xed\xa0\x80"));
    }

    void testNulBytesAreKept() {
        const std::string text("a\0b", 3);
        CPPUNIT_ASSERT_EQUAL(text, lossyUtf8(text));
    }

    void testPrefixNeverEndsInsideACharacter() {
        const std::string text = "ab\xc3\xa9"
                                 "cd"; // é is 2 bytes, at 2..3
        CPPUNIT_ASSERT_EQUAL(std::string("ab"), std::string(utf8Prefix(text, 3)));
        CPPUNIT_ASSERT_EQUAL(std::string("ab\xc3\xa9"), std::string(utf8Prefix(text, 4)));
        const std::string emoji = "\xf0\x9f\x98\x80";
        for (std::size_t n = 0; n < 4; ++n)
            CPPUNIT_ASSERT_EQUAL(std::string(), std::string(utf8Prefix(emoji, n)));
    }

    void testPrefixOfShortTextIsTheText() {
        CPPUNIT_ASSERT_EQUAL(std::string("short"), std::string(utf8Prefix("short", 100)));
        CPPUNIT_ASSERT_EQUAL(std::string(), std::string(utf8Prefix("", 10)));
    }

    void testStorableTextSaysByHowMuchItWasCut() {
        const std::string text(1000, 'x');
        const std::string out = storableText(text, 100);
        CPPUNIT_ASSERT(out.size() <= 100);
        CPPUNIT_ASSERT(out != text.substr(0, 100)); // the end tells it was cut
        CPPUNIT_ASSERT_EQUAL(std::string("fits"), storableText("fits", 100));
    }

    void testStorableTextIsAlwaysValid() {
        std::string text;
        for (int i = 0; i < 300; ++i)
            text += i % 3 ? "\xc3\xa9" : "\xff";
        for (std::size_t max : {10, 57, 101, 2000})
            CPPUNIT_ASSERT(msgbus::json::isValidUtf8(storableText(text, max)));
    }

    void testSingleLineTextKeepsPrintableText() {
        for (const std::string text : {"", "plain ascii \\ \"quoted\" ~",
                                       "caf\xc3\xa9 \xe2\x82\xac", "\xf0\x9f\x93\xa6 \xc2\xa0nbsp"})
            CPPUNIT_ASSERT_EQUAL(text, singleLineText(text));
    }

    void testSingleLineTextEscapesEveryControlCharacter() {
        CPPUNIT_ASSERT_EQUAL(std::string("a\\nb\\rc\\td"), singleLineText("a\nb\rc\td"));
        for (int c = 0; c < 0x20; ++c) {
            const std::string out = singleLineText(std::string(1, static_cast<char>(c)));
            CPPUNIT_ASSERT_MESSAGE(out, out.size() >= 2 && out[0] == '\\');
        }
        CPPUNIT_ASSERT_EQUAL(std::string("\\x00\\x1b\\x7f"),
                             singleLineText(std::string("\0\x1b\x7f", 3)));
        CPPUNIT_ASSERT_EQUAL(std::string("\\u0085\\u009f\\u2028\\u2029"),
                             singleLineText("\xc2\x85\xc2\x9f\xe2\x80\xa8\xe2\x80\xa9"));
    }

    void testSingleLineTextEscapesEachInvalidByte() {
        CPPUNIT_ASSERT_EQUAL(std::string("\\xff ok \\xc3"), singleLineText("\xff ok \xc3"));
        // An overlong '\n' (0xc0 0x8a) is no line break and no valid UTF-8 either.
        CPPUNIT_ASSERT_EQUAL(std::string("\\xc0\\x8a"), singleLineText("\xc0\x8a"));
        const std::string out = singleLineText("\xe2\x80 x \xed\xa0\x80");
        CPPUNIT_ASSERT(msgbus::json::isValidUtf8(out));
        CPPUNIT_ASSERT_EQUAL(std::string("\\xe2\\x80 x \\xed\\xa0\\x80"), out);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(Utf8TextTest);
