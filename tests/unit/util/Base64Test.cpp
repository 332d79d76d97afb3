// The one base64 of the core: Poco's coder, with a strict check in front for stored formats.
#include "core/util/Base64.h"

#include <msgbus/Error.h>

#include <cppunit/extensions/HelperMacros.h>

#include <string>

using msgbus::core::base64Decode;
using msgbus::core::base64DecodeStrict;
using msgbus::core::base64Encode;
using msgbus::core::Base64Padding;

class Base64Test : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(Base64Test);
    CPPUNIT_TEST(testEncodesRfc4648Vectors);
    CPPUNIT_TEST(testUnpaddedLeavesOutTheEquals);
    CPPUNIT_TEST(testLongInputStaysOnOneLine);
    CPPUNIT_TEST(testStrictRoundTripsEveryByte);
    CPPUNIT_TEST(testStrictRefusesAnythingButTheCanonicalForm);
    CPPUNIT_TEST(testLenientDecodeReadsUnpaddedText);
    CPPUNIT_TEST(testLenientDecodeRefusesCharactersOutsideTheAlphabet);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEncodesRfc4648Vectors() {
        const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                               {"f", "Zg=="},
                                                               {"fo", "Zm8="},
                                                               {"foo", "Zm9v"},
                                                               {"foob", "Zm9vYg=="},
                                                               {"fooba", "Zm9vYmE="},
                                                               {"foobar", "Zm9vYmFy"}};
        for (const auto& [plain, encoded] : vectors) {
            CPPUNIT_ASSERT_EQUAL(std::string(encoded), base64Encode(plain));
            CPPUNIT_ASSERT_EQUAL(std::string(plain), base64DecodeStrict(encoded, "t"));
        }
    }

    void testUnpaddedLeavesOutTheEquals() {
        CPPUNIT_ASSERT_EQUAL(std::string("Zg"), base64Encode("f", Base64Padding::Unpadded));
        CPPUNIT_ASSERT_EQUAL(std::string("Zm9v"), base64Encode("foo", Base64Padding::Unpadded));
    }

    void testLongInputStaysOnOneLine() {
        std::string encoded = base64Encode(std::string(1000, 'a'));
        CPPUNIT_ASSERT_EQUAL(std::string::npos, encoded.find_first_of("\r\n"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1336), encoded.size());
    }

    void testStrictRoundTripsEveryByte() {
        std::string all;
        for (int b = 0; b < 256; ++b)
            all += static_cast<char>(b);
        for (std::size_t cut = 0; cut < 4; ++cut) {
            std::string bytes = all.substr(cut);
            CPPUNIT_ASSERT(bytes == base64DecodeStrict(base64Encode(bytes), "t"));
        }
    }

    void testStrictRefusesAnythingButTheCanonicalForm() {
        for (const char* bad : {"AAE", "A=AA", "AB=A", "A===", "====", "!!!!", "AA E", "AAE=\n",
                                "YQ==YQ==", "Zm9v-_==", "Zg=", "Zg==="}) {
            try {
                base64DecodeStrict(bad, "header 'bin'");
                CPPUNIT_FAIL(std::string("accepted ") + bad);
            } catch (const msgbus::InvalidArgument& e) {
                CPPUNIT_ASSERT(std::string(e.what()).rfind("header 'bin': invalid base64", 0) == 0);
            }
        }
    }

    void testLenientDecodeReadsUnpaddedText() {
        CPPUNIT_ASSERT(base64Decode("Zg", Base64Padding::Unpadded) == std::string("f"));
        CPPUNIT_ASSERT(base64Decode("Zm9vYmE", Base64Padding::Unpadded) == std::string("fooba"));
        CPPUNIT_ASSERT(base64Decode("", Base64Padding::Unpadded) == std::string());
    }

    void testLenientDecodeRefusesCharactersOutsideTheAlphabet() {
        CPPUNIT_ASSERT(!base64Decode("!!!!", Base64Padding::Unpadded));
        CPPUNIT_ASSERT(!base64Decode("Zm9v*", Base64Padding::Padded));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(Base64Test);
