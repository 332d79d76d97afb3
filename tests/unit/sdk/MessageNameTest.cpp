#include <msgbus/Error.h>
#include <msgbus/MessageName.h>
#include <msgbus/internal/PrintableText.h>

#include <cppunit/extensions/HelperMacros.h>

#include <string>

using msgbus::isValidMessageName;
using msgbus::validateMessageName;

class MessageNameTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MessageNameTest);
    CPPUNIT_TEST(testAcceptsTwoOrMoreLowercaseSegments);
    CPPUNIT_TEST(testAcceptsDigitsAndUnderscoresAfterTheFirstLetter);
    CPPUNIT_TEST(testRejectsEmptyName);
    CPPUNIT_TEST(testRejectsSingleSegment);
    CPPUNIT_TEST(testRejectsUppercase);
    CPPUNIT_TEST(testRejectsSegmentStartingWithDigitOrUnderscore);
    CPPUNIT_TEST(testRejectsEmptySegment);
    CPPUNIT_TEST(testRejectsLeadingAndTrailingDot);
    CPPUNIT_TEST(testRejectsOtherCharacters);
    CPPUNIT_TEST(testAcceptsAt255CharactersAndRejects256);
    CPPUNIT_TEST(testValidateThrowsInvalidArgumentNamingTheName);
    CPPUNIT_TEST(testValidateShortensAVeryLongName);
    CPPUNIT_TEST(testRejectedNameIsShownAsPrintableText);
    CPPUNIT_TEST_SUITE_END();

public:
    void testAcceptsTwoOrMoreLowercaseSegments() {
        for (const char* name : {"order.placed", "billing.invoice.paid", "a.b", "a.b.c.d.e.f"})
            CPPUNIT_ASSERT_MESSAGE(name, isValidMessageName(name));
        CPPUNIT_ASSERT_NO_THROW(validateMessageName("order.placed"));
    }

    void testAcceptsDigitsAndUnderscoresAfterTheFirstLetter() {
        for (const char* name : {"order2.placed_v2", "a1.b_", "order.placed_at_9", "x_.y9"})
            CPPUNIT_ASSERT_MESSAGE(name, isValidMessageName(name));
    }

    void testRejectsEmptyName() {
        CPPUNIT_ASSERT(!isValidMessageName(""));
        CPPUNIT_ASSERT_THROW(validateMessageName(""), msgbus::InvalidArgument);
    }

    void testRejectsSingleSegment() {
        for (const char* name : {"order", "a", "orderplaced"})
            CPPUNIT_ASSERT_MESSAGE(name, !isValidMessageName(name));
    }

    void testRejectsUppercase() {
        for (const char* name : {"Order.placed", "order.Placed", "ORDER.PLACED", "order.placeD"})
            CPPUNIT_ASSERT_MESSAGE(name, !isValidMessageName(name));
    }

    void testRejectsSegmentStartingWithDigitOrUnderscore() {
        for (const char* name :
             {"1order.placed", "order.2placed", "_order.placed", "order._placed"})
            CPPUNIT_ASSERT_MESSAGE(name, !isValidMessageName(name));
    }

    void testRejectsEmptySegment() {
        for (const char* name : {"order..placed", "a.b..c", ".", ".."})
            CPPUNIT_ASSERT_MESSAGE(name, !isValidMessageName(name));
    }

    void testRejectsLeadingAndTrailingDot() {
        for (const char* name : {"order.placed.", ".order.placed", "order."})
            CPPUNIT_ASSERT_MESSAGE(name, !isValidMessageName(name));
    }

    void testRejectsOtherCharacters() {
        for (const char* name :
             {"order-placed.v1", "order placed.x", "order.placed ", " order.placed",
              "order/placed.x", "order:placed.x", "caf\xc3\xa9.placed", "order.caf\xe9",
              "order.placed\n", "App\\Order.placed"})
            CPPUNIT_ASSERT_MESSAGE(name, !isValidMessageName(name));
        CPPUNIT_ASSERT(!isValidMessageName(std::string("order.pla\0ced", 13)));
    }

    void testAcceptsAt255CharactersAndRejects256() {
        // "a." + 253 letters = 255 characters: the width of the name columns.
        std::string longest = "a." + std::string(253, 'b');
        CPPUNIT_ASSERT_EQUAL(std::size_t(255), longest.size());
        CPPUNIT_ASSERT(isValidMessageName(longest));
        CPPUNIT_ASSERT(!isValidMessageName(longest + "c"));
        CPPUNIT_ASSERT_THROW(validateMessageName(longest + "c"), msgbus::InvalidArgument);
    }

    void testValidateThrowsInvalidArgumentNamingTheName() {
        try {
            validateMessageName("Order.Placed");
            CPPUNIT_FAIL("accepted Order.Placed");
        } catch (const msgbus::InvalidArgument& e) {
            std::string what = e.what();
            CPPUNIT_ASSERT(what.find("'Order.Placed'") != std::string::npos);
            CPPUNIT_ASSERT(what.find("order.placed") != std::string::npos); // shows an example
        }
    }

    void testValidateShortensAVeryLongName() {
        // The name may come from the wire: the error must not carry all of it.
        std::string huge(10000, 'x');
        try {
            validateMessageName(huge);
            CPPUNIT_FAIL("accepted a 10000-character name");
        } catch (const msgbus::InvalidArgument& e) {
            std::string what = e.what();
            CPPUNIT_ASSERT(what.find(std::string(80, 'x')) != std::string::npos);
            CPPUNIT_ASSERT(what.find(std::string(81, 'x')) == std::string::npos);
        }
    }

    void testRejectedNameIsShownAsPrintableText() {
        try {
            msgbus::validateMessageName(std::string("order.\xc3\x28\x01", 9));
            CPPUNIT_FAIL("accepted a name with control bytes");
        } catch (const msgbus::InvalidArgument& e) {
            std::string what = e.what();
            CPPUNIT_ASSERT(what.find("order.\\xc3(\\x01") != std::string::npos);
        }
        CPPUNIT_ASSERT_EQUAL(std::string("abc..."), msgbus::printableText("abcdef", 3));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MessageNameTest);
