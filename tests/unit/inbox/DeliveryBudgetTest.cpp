// DeliveryBudget: the lanes of a limited run together process exactly the limit.
#include "core/inbox/DeliveryBudget.h"

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::DeliveryBudget;

class DeliveryBudgetTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DeliveryBudgetTest);
    CPPUNIT_TEST(testNoLimitGivesWhatIsAsked);
    CPPUNIT_TEST(testReservationsNeverExceedTheLimit);
    CPPUNIT_TEST(testWhatWasNotProcessedIsFreeAgain);
    CPPUNIT_TEST_SUITE_END();

public:
    void testNoLimitGivesWhatIsAsked() {
        DeliveryBudget budget(0);
        CPPUNIT_ASSERT_EQUAL(std::size_t(200), budget.take(200));
        budget.spent(200, 200);
        CPPUNIT_ASSERT(!budget.exhausted());
    }

    void testReservationsNeverExceedTheLimit() {
        DeliveryBudget budget(10);
        CPPUNIT_ASSERT_EQUAL(std::size_t(6), budget.take(6));
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), budget.take(6));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), budget.take(6));
        budget.spent(6, 6);
        CPPUNIT_ASSERT(!budget.exhausted()); // the other lane's 4 are not done yet
        budget.spent(4, 4);
        CPPUNIT_ASSERT(budget.exhausted());
    }

    void testWhatWasNotProcessedIsFreeAgain() {
        DeliveryBudget budget(10);
        CPPUNIT_ASSERT_EQUAL(std::size_t(10), budget.take(200));
        budget.spent(10, 3); // gathered 3, or 7 given back by an outage hold
        CPPUNIT_ASSERT_EQUAL(std::size_t(7), budget.take(200));
        budget.spent(7, 7);
        CPPUNIT_ASSERT(budget.exhausted());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DeliveryBudgetTest);
