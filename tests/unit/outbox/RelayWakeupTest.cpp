// RelayWakeup: the relays' idle sleep, ended by a handler that published or by a stop.
#include "core/outbox/RelayWakeup.h"

#include "support/InterruptibleSleep.h"

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <future>
#include <vector>

using msgbus::core::RelayWakeup;
using msgbus::core::StopToken;
using msgbus::test::longSleep;
using namespace std::chrono_literals;

namespace {

std::future<bool> sleepInBackground(RelayWakeup& wakeup, StopToken& stop) {
    return std::async(std::launch::async,
                      [&wakeup, &stop] { return wakeup.sleepFor(stop, longSleep); });
}

} // namespace

class RelayWakeupTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RelayWakeupTest);
    CPPUNIT_TEST(testSleepRunsOutWhenNothingRings);
    CPPUNIT_TEST(testWakeEndsEverySleeperWithoutStop);
    CPPUNIT_TEST(testStopEndsSleepAtOnce);
    CPPUNIT_TEST(testSleepAfterStopReturnsAtOnce);
    CPPUNIT_TEST(testWakeBeforeSleepIsNotKept);
    CPPUNIT_TEST(testWakeSinceTheEpochEndsTheSleepAtOnce);
    CPPUNIT_TEST_SUITE_END();

public:
    void testSleepRunsOutWhenNothingRings() {
        RelayWakeup wakeup;
        StopToken stop;
        CPPUNIT_ASSERT(!wakeup.sleepFor(stop, 5ms));
    }

    void testWakeEndsEverySleeperWithoutStop() {
        RelayWakeup wakeup;
        StopToken stop;
        std::vector<std::future<bool>> sleepers;
        for (int i = 0; i < 3; ++i)
            sleepers.push_back(sleepInBackground(wakeup, stop));
        // Rings until all have returned: a ring before a sleeper started waiting is not its.
        for (auto& sleeper : sleepers) {
            for (int tries = 0; tries < 3000; ++tries) {
                wakeup.wake();
                if (sleeper.wait_for(10ms) == std::future_status::ready)
                    break;
            }
            CPPUNIT_ASSERT(sleeper.wait_for(0s) == std::future_status::ready);
            CPPUNIT_ASSERT(!sleeper.get());
        }
        CPPUNIT_ASSERT(!stop.stopRequested());
    }

    void testStopEndsSleepAtOnce() {
        RelayWakeup wakeup;
        StopToken stop;
        CPPUNIT_ASSERT(msgbus::test::interruptSleep(
            [&wakeup, &stop] { return wakeup.sleepFor(stop, longSleep); },
            [&stop] { stop.requestStop(); }));
    }

    void testSleepAfterStopReturnsAtOnce() {
        RelayWakeup wakeup;
        StopToken stop;
        stop.requestStop();
        CPPUNIT_ASSERT(msgbus::test::sleepNotAtAll(
            [&wakeup, &stop] { return wakeup.sleepFor(stop, longSleep); }));
    }

    void testWakeBeforeSleepIsNotKept() {
        // A ring wakes the relays idle at that moment; one that was busy has just polled.
        RelayWakeup wakeup;
        StopToken stop;
        wakeup.wake();
        const auto start = std::chrono::steady_clock::now();
        CPPUNIT_ASSERT(!wakeup.sleepFor(stop, 20ms));
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start >= 20ms);
    }

    void testWakeSinceTheEpochEndsTheSleepAtOnce() {
        // A relay reads the epoch, polls an empty outbox, and a handler commits and rings
        // before the relay sleeps: the new row must not wait out the poll interval.
        RelayWakeup wakeup;
        StopToken stop;
        const auto epoch = wakeup.epoch();
        wakeup.wake();
        CPPUNIT_ASSERT(!msgbus::test::sleepNotAtAll(
            [&wakeup, &stop, epoch] { return wakeup.sleepFor(stop, longSleep, epoch); }));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RelayWakeupTest);
