// LaneRouter: a partition key's deliveries always go to one lane; the others go in runs to
// the least loaded lane, and move to an open lane as soon as their run's lane runs a batch.
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

/// A router over lanes whose loads and open states a test sets; route() sends a delivery
/// without a key and counts it on its lane.
struct Lanes {
    Lanes(unsigned lanes, std::size_t chunk, bool isOpen)
        : router(lanes, chunk), loads(lanes, 0), open(lanes, isOpen) {}

    unsigned route() {
        const unsigned lane = router.laneOf(
            Delivery{}, [&](unsigned l) { return loads[l]; }, [&](unsigned l) { return open[l]; });
        ++loads[lane];
        return lane;
    }

    LaneRouter router;
    std::vector<std::size_t> loads;
    std::vector<bool> open;
};

} // namespace

class LaneRouterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LaneRouterTest);
    CPPUNIT_TEST(testAKeyAlwaysGoesToTheSameLane);
    CPPUNIT_TEST(testKeysSpreadOverTheLanes);
    CPPUNIT_TEST(testDeliveriesWithoutAKeyGoInRunsToTheLeastLoadedLane);
    CPPUNIT_TEST(testAKeySentAsANumberStaysOnOneLane);
    CPPUNIT_TEST(testOneLaneTakesEverything);
    CPPUNIT_TEST(testARunMovesToAnOpenLaneWhenItsLaneRunsABatch);
    CPPUNIT_TEST(testARunStaysWhenNoLaneIsOpen);
    CPPUNIT_TEST(testARunStaysOnARunningLaneThatHoldsLessThanTheOpenOnes);
    CPPUNIT_TEST(testAKeyStaysOnItsLaneWhileThatLaneRuns);
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

    void testAKeySentAsANumberStaysOnOneLane() {
        // Serializers take numeric keys too: such a key must not run in any lane.
        LaneRouter router(4, 1);
        std::vector<std::size_t> loads = {0, 0, 0, 0};
        Delivery numeric;
        numeric.wire.headers.push_back({"x-partition-key", FieldValue::ofInt64(4711)});
        const unsigned lane = router.laneOf(numeric, [&](unsigned l) { return loads[l]; });
        CPPUNIT_ASSERT_EQUAL(router.laneOfKey("4711"), lane);
        for (int i = 0; i < 8; ++i) {
            loads[i % 4] += 3;
            CPPUNIT_ASSERT_EQUAL(lane,
                                 router.laneOf(numeric, [&](unsigned l) { return loads[l]; }));
        }
    }

    void testARunMovesToAnOpenLaneWhenItsLaneRunsABatch() {
        Lanes lanes(3, 100, true);
        auto& [router, loads, open] = lanes;
        CPPUNIT_ASSERT_EQUAL(0u, lanes.route());
        CPPUNIT_ASSERT_EQUAL(0u, lanes.route()); // lane 0 gathers: its batch takes these too
        open[0] = false;                         // lane 0 closed its batch and runs it
        loads[2] = 1;
        CPPUNIT_ASSERT_EQUAL(1u, lanes.route()); // the least loaded open lane, at once
        CPPUNIT_ASSERT_EQUAL(1u, lanes.route()); // and the run stays there while it is open
        open[1] = false;
        open[0] = true; // lane 0 is done and waits again
        loads[0] = 0;
        CPPUNIT_ASSERT_EQUAL(0u, lanes.route());
    }

    void testARunStaysWhenNoLaneIsOpen() {
        // Every lane runs a batch: the run goes on where it was (neighbouring tags, one ack
        // frame), up to its chunk, and then to the least loaded lane as always.
        Lanes lanes(2, 3, false);
        CPPUNIT_ASSERT_EQUAL(0u, lanes.route());
        CPPUNIT_ASSERT_EQUAL(0u, lanes.route());
        CPPUNIT_ASSERT_EQUAL(0u, lanes.route());
        CPPUNIT_ASSERT_EQUAL(1u, lanes.route()); // chunk full: the least loaded lane
    }

    void testARunStaysOnARunningLaneThatHoldsLessThanTheOpenOnes() {
        // An open lane that holds more works through a backlog: a delivery sent there would
        // start no sooner.
        Lanes lanes(2, 100, true);
        auto& [router, loads, open] = lanes;
        CPPUNIT_ASSERT_EQUAL(0u, lanes.route());
        open[0] = false;
        loads[1] = 50;
        CPPUNIT_ASSERT_EQUAL(0u, lanes.route());
        loads[1] = 2; // as much as lane 0: the open lane starts it sooner
        CPPUNIT_ASSERT_EQUAL(1u, lanes.route());
    }

    void testAKeyStaysOnItsLaneWhileThatLaneRuns() {
        LaneRouter router(4, 10);
        const unsigned lane = router.laneOfKey("order-9");
        auto none = [](unsigned) { return std::size_t(0); };
        auto othersOpen = [&](unsigned l) { return l != lane; };
        for (int i = 0; i < 5; ++i)
            CPPUNIT_ASSERT_EQUAL(lane, router.laneOf(withKey("order-9"), none, othersOpen));
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
