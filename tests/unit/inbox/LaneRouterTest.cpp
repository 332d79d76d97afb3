// LaneRouter: a partition key's deliveries always go to one lane; the others go in runs to
// the least loaded lane.
#include "core/inbox/LaneRouter.h"

#include <cppunit/extensions/HelperMacros.h>

#include <set>

using msgbus::FieldValue;
using msgbus::core::LaneRouter;
using msgbus::core::amqp::Delivery;

namespace {

Delivery withKey(const std::string& key) {
    Delivery d;
    d.wire.headers.push_back({"x-partition-key", FieldValue::ofString(key)});
    return d;
}

} // namespace

class LaneRouterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LaneRouterTest);
    CPPUNIT_TEST(testAKeyAlwaysGoesToTheSameLane);
    CPPUNIT_TEST(testKeysSpreadOverTheLanes);
    CPPUNIT_TEST(testDeliveriesWithoutAKeyGoInRunsToTheLeastLoadedLane);
    CPPUNIT_TEST(testOneLaneTakesEverything);
    CPPUNIT_TEST_SUITE_END();

public:
    void testAKeyAlwaysGoesToTheSameLane() {
        LaneRouter router(4, 10);
        std::vector<std::size_t> loads = {0, 0, 0, 0};
        auto load = [&](unsigned lane) { return loads[lane]; };
        const unsigned lane = router.laneOf(withKey("account-7"), load);
        for (int i = 0; i < 50; ++i) {
            loads[i % 4] += 5; // the load never moves a key
            CPPUNIT_ASSERT_EQUAL(lane, router.laneOf(withKey("account-7"), load));
            router.laneOf(Delivery{}, load);
        }
        CPPUNIT_ASSERT_EQUAL(lane, router.laneOfKey("account-7"));
    }

    void testKeysSpreadOverTheLanes() {
        LaneRouter router(4, 10);
        std::set<unsigned> used;
        for (int i = 0; i < 100; ++i)
            used.insert(router.laneOfKey("key-" + std::to_string(i)));
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), used.size());
    }

    void testDeliveriesWithoutAKeyGoInRunsToTheLeastLoadedLane() {
        LaneRouter router(3, 2);
        std::vector<std::size_t> loads = {0, 0, 0};
        auto route = [&] {
            const unsigned lane = router.laneOf(Delivery{}, [&](unsigned l) { return loads[l]; });
            ++loads[lane];
            return lane;
        };
        CPPUNIT_ASSERT_EQUAL(0u, route());
        CPPUNIT_ASSERT_EQUAL(0u, route());
        CPPUNIT_ASSERT_EQUAL(1u, route()); // lane 0 holds 2: the next run goes elsewhere
        CPPUNIT_ASSERT_EQUAL(1u, route());
        CPPUNIT_ASSERT_EQUAL(2u, route());
        CPPUNIT_ASSERT_EQUAL(2u, route());
        loads = {5, 0, 5};
        CPPUNIT_ASSERT_EQUAL(1u, route());
    }

    void testOneLaneTakesEverything() {
        LaneRouter router(1, 1);
        auto none = [](unsigned) { return std::size_t(0); };
        CPPUNIT_ASSERT_EQUAL(0u, router.laneOf(withKey("a"), none));
        CPPUNIT_ASSERT_EQUAL(0u, router.laneOf(Delivery{}, none));
        CPPUNIT_ASSERT_EQUAL(0u, router.laneOf(Delivery{}, none));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LaneRouterTest);
