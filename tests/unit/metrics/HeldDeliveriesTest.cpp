// HeldDeliveries: what the inbox consumers hold during a database outage, as /ready and
// /metrics report it.
#include "core/metrics/HeldDeliveries.h"

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::HeldDeliveries;

class HeldDeliveriesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(HeldDeliveriesTest);
    CPPUNIT_TEST(testNothingHeldDescribesNothing);
    CPPUNIT_TEST(testEachConsumerSaysWhatItHoldsForHowLongAndWhy);
    CPPUNIT_TEST(testAHoldIsReplacedAndReleased);
    CPPUNIT_TEST_SUITE_END();

public:
    void testNothingHeldDescribesNothing() {
        const HeldDeliveries held;
        CPPUNIT_ASSERT_EQUAL(std::string(), held.describe(1000));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), held.total());
    }

    void testEachConsumerSaysWhatItHoldsForHowLongAndWhy() {
        HeldDeliveries held;
        held.hold("placed", 50, 1000, "waiting for the database: Can't connect");
        held.hold("confirmations", 1, 5000, "waiting for the database: gone away");
        CPPUNIT_ASSERT_EQUAL(
            std::string("consumer confirmations holds 1 delivery for 7 s: waiting for the "
                        "database: gone away; consumer placed holds 50 deliveries for 11 s: "
                        "waiting for the database: Can't connect"),
            held.describe(12000));
        CPPUNIT_ASSERT_EQUAL(std::size_t(51), held.total());
    }

    void testAHoldIsReplacedAndReleased() {
        HeldDeliveries held;
        held.hold("placed", 10, 0, "a");
        held.hold("placed", 12, 0, "b");
        CPPUNIT_ASSERT_EQUAL(std::size_t(12), held.total());
        held.release("placed");
        held.release("never held");
        CPPUNIT_ASSERT_EQUAL(std::string(), held.describe(0));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), held.total());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HeldDeliveriesTest);
