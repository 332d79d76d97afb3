// DeliveryBudget: the lanes of a limited run together process exactly the limit.
#include "core/inbox/DeliveryBudget.h"

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <stop_token>
#include <thread>

using msgbus::core::DeliveryBudget;

class DeliveryBudgetTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DeliveryBudgetTest);
    CPPUNIT_TEST(testNoLimitGivesWhatIsAsked);
    CPPUNIT_TEST(testReservationsNeverExceedTheLimit);
    CPPUNIT_TEST(testWhatWasNotProcessedIsFreeAgain);
    CPPUNIT_TEST(testWaitingLaneWakesWhenAnotherPutsSomeBack);
    CPPUNIT_TEST(testWaitingLaneWakesWhenTheLimitIsReached);
    CPPUNIT_TEST(testWaitingLaneWakesAtAStop);
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

    // The waits below would last a minute if nothing woke them: a wake-up by the other lane,
    // not the timeout, is what lets them return the values asserted.
    void testWaitingLaneWakesWhenAnotherPutsSomeBack() {
        DeliveryBudget budget(10);
        CPPUNIT_ASSERT_EQUAL(std::size_t(10), budget.take(200));
        std::jthread other([&] { budget.spent(10, 4); });
        CPPUNIT_ASSERT(budget.waitForRoom(std::stop_token(), std::chrono::minutes(1)));
        CPPUNIT_ASSERT_EQUAL(std::size_t(6), budget.take(200));
    }

    void testWaitingLaneWakesWhenTheLimitIsReached() {
        DeliveryBudget budget(10);
        CPPUNIT_ASSERT_EQUAL(std::size_t(10), budget.take(200));
        std::jthread other([&] { budget.spent(10, 10); });
        CPPUNIT_ASSERT(!budget.waitForRoom(std::stop_token(), std::chrono::minutes(1)));
        CPPUNIT_ASSERT(budget.exhausted());
    }

    void testWaitingLaneWakesAtAStop() {
        DeliveryBudget budget(10);
        CPPUNIT_ASSERT_EQUAL(std::size_t(10), budget.take(200));
        std::stop_source stop;
        std::jthread other([&] { stop.request_stop(); });
        CPPUNIT_ASSERT(!budget.waitForRoom(stop.get_token(), std::chrono::minutes(1)));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), budget.take(200));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DeliveryBudgetTest);
