// FailureGroup: what makes two failures one group.
#include "core/failed/FailureGroup.h"

#include "core/failed/GuardedChange.h"

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::FailureGroup;

class FailureGroupTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FailureGroupTest);
    CPPUNIT_TEST(testDigitsBecomeOneMark);
    CPPUNIT_TEST(testUuidsHexNumbersAndLongIdsBecomeMarks);
    CPPUNIT_TEST(testWordsAndShortHexWordsStay);
    CPPUNIT_TEST(testKeyDependsOnEveryPart);
    CPPUNIT_TEST(testARowWhoseBodyWasCutStaysInItsGroup);
    CPPUNIT_TEST(testIsKeyAcceptsOnlyKeys);
    CPPUNIT_TEST_SUITE_END();

public:
    void testDigitsBecomeOneMark() {
        CPPUNIT_ASSERT_EQUAL(std::string("order # not found after #.# s"),
                             FailureGroup::normalised("order 17 not found after 2.5 s"));
        CPPUNIT_ASSERT_EQUAL(std::string("row# at line #"),
                             FailureGroup::normalised("row12 at line 9"));
    }

    void testUuidsHexNumbersAndLongIdsBecomeMarks() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("id <uuid> at <id>, ulid <id>, sha <id>"),
            FailureGroup::normalised("id 0190A1B2-c3d4-7e5f-8a9b-0c1d2e3f4a5b at 0x7ffe12, ulid "
                                     "01ARZ3NDEKTSV4RRFFQ69G5FAV, sha 9f86d081884c7d65"));
    }

    void testWordsAndShortHexWordsStay() {
        CPPUNIT_ASSERT_EQUAL(std::string("deadbeef cafe: bad face"),
                             FailureGroup::normalised("deadbeef cafe: bad face"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), FailureGroup::normalised(""));
    }

    void testKeyDependsOnEveryPart() {
        const auto key = FailureGroup::keyOf(std::string("order.placed"), "amqp:orders",
                                             "HandlerFailed", "order 17 lost");
        CPPUNIT_ASSERT_EQUAL(FailureGroup::kKeyLength, key.size());
        CPPUNIT_ASSERT_EQUAL(key, FailureGroup::keyOf(std::string("order.placed"), "amqp:orders",
                                                      "HandlerFailed", "order 90 lost"));
        CPPUNIT_ASSERT(key != FailureGroup::keyOf(std::nullopt, "amqp:orders", "HandlerFailed",
                                                  "order 17 lost"));
        CPPUNIT_ASSERT(key != FailureGroup::keyOf(std::string("order.placed"), "amqp:billing",
                                                  "HandlerFailed", "order 17 lost"));
        CPPUNIT_ASSERT(key != FailureGroup::keyOf(std::string("order.placed"), "amqp:orders",
                                                  "Timeout", "order 17 lost"));
        CPPUNIT_ASSERT(key != FailureGroup::keyOf(std::string("order.placed"), "amqp:orders",
                                                  "HandlerFailed", "order 17 gone"));
        // The parts are delimited: moving text from one part to the next is another group.
        CPPUNIT_ASSERT(FailureGroup::keyOf(std::string("a"), "bc", "d", "e") !=
                       FailureGroup::keyOf(std::string("ab"), "c", "d", "e"));
    }

    void testARowWhoseBodyWasCutStaysInItsGroup() {
        // The host's note about the stored body is no part of the fault: a group retry reaches
        // such a row too (and refuses it, with its reason).
        const auto key = [](const std::string& error) {
            return FailureGroup::keyOf(std::string("order.placed"), "amqp:orders", "HandlerFailed",
                                       error);
        };
        CPPUNIT_ASSERT_EQUAL(key("order 17 lost"),
                             key(msgbus::core::bodyCutNote(1024, 3000000) + "order 18 lost"));
        CPPUNIT_ASSERT_EQUAL(key("order 17 lost"),
                             key(msgbus::core::bodyDroppedNote(9, "too big") + "order 1 lost"));
        CPPUNIT_ASSERT(key("order 17 lost") != key("[body cut: order 17 lost"));
    }

    void testIsKeyAcceptsOnlyKeys() {
        CPPUNIT_ASSERT(FailureGroup::isKey("0123456789abcdef"));
        CPPUNIT_ASSERT(!FailureGroup::isKey("0123456789ABCDEF"));
        CPPUNIT_ASSERT(!FailureGroup::isKey("0123456789abcde"));
        CPPUNIT_ASSERT(!FailureGroup::isKey("' OR 1=1 --12345"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FailureGroupTest);
