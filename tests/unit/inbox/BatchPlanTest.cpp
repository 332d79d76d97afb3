// BatchPlan: which deliveries of a gathered batch run together and which run alone, by the
// host deaths counted for each (a redelivered message whose earlier run never ended).
#include "core/inbox/BatchPlan.h"

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>
#include <vector>

using msgbus::core::BatchPlan;

namespace {

using Order = std::vector<std::size_t>;

} // namespace

class BatchPlanTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BatchPlanTest);
    CPPUNIT_TEST(testBatchWithoutHostDeathsRunsTogetherAsItArrived);
    CPPUNIT_TEST(testRedeliveredMessagesThatKilledAHostRunLastEachAlone);
    CPPUNIT_TEST(testFewestDeathsRunFirstAndTiesKeepTheirArrivalOrder);
    CPPUNIT_TEST(testBatchOfKillersRunsNothingTogether);
    CPPUNIT_TEST(testEmptyBatchHasAnEmptyPlan);
    CPPUNIT_TEST(testArrangeMovesEachValueToItsRunPosition);
    CPPUNIT_TEST_SUITE_END();

public:
    void testBatchWithoutHostDeathsRunsTogetherAsItArrived() {
        const auto plan = BatchPlan::byHostDeaths({0, 0, 0, 0});
        CPPUNIT_ASSERT(plan.order() == (Order{0, 1, 2, 3}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), plan.together());
        CPPUNIT_ASSERT(!plan.reorders());
    }

    void testRedeliveredMessagesThatKilledAHostRunLastEachAlone() {
        // The killer arrived first: its neighbours go through before it runs again.
        const auto plan = BatchPlan::byHostDeaths({1, 0, 0});
        CPPUNIT_ASSERT(plan.order() == (Order{1, 2, 0}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), plan.together());
        CPPUNIT_ASSERT(plan.reorders());
    }

    void testFewestDeathsRunFirstAndTiesKeepTheirArrivalOrder() {
        const auto plan = BatchPlan::byHostDeaths({3, 0, 1, 0, 1, 2});
        CPPUNIT_ASSERT(plan.order() == (Order{1, 3, 2, 4, 5, 0}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), plan.together());
    }

    void testBatchOfKillersRunsNothingTogether() {
        const auto plan = BatchPlan::byHostDeaths({2, 1});
        CPPUNIT_ASSERT(plan.order() == (Order{1, 0}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), plan.together());
        CPPUNIT_ASSERT(plan.reorders());
    }

    void testEmptyBatchHasAnEmptyPlan() {
        const auto plan = BatchPlan::byHostDeaths({});
        CPPUNIT_ASSERT(plan.order().empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), plan.together());
        CPPUNIT_ASSERT(!plan.reorders());
    }

    void testArrangeMovesEachValueToItsRunPosition() {
        const auto plan = BatchPlan::byHostDeaths({1, 0, 2, 0});
        std::vector<std::string> keys{"killer", "a", "worst", "b"};
        plan.arrange(keys);
        CPPUNIT_ASSERT(keys == (std::vector<std::string>{"a", "b", "killer", "worst"}));
        // Values are moved, never copied (deliveries are large).
        std::vector<std::unique_ptr<int>> owned;
        for (int i = 0; i < 4; ++i)
            owned.push_back(std::make_unique<int>(i));
        plan.arrange(owned);
        CPPUNIT_ASSERT_EQUAL(1, *owned[0]);
        CPPUNIT_ASSERT_EQUAL(3, *owned[1]);
        CPPUNIT_ASSERT_EQUAL(0, *owned[2]);
        CPPUNIT_ASSERT_EQUAL(2, *owned[3]);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BatchPlanTest);
