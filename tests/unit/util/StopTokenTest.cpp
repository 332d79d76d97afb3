// StopToken: the shutdown flag and the interruptible sleep every worker polls.
#include "core/util/StopToken.h"

#include "support/InterruptibleSleep.h"

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>

using msgbus::core::StopToken;
using msgbus::test::longSleep;
using namespace std::chrono_literals;

class StopTokenTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StopTokenTest);
    CPPUNIT_TEST(testNoStopUntilRequested);
    CPPUNIT_TEST(testSleepRunsOutWithoutStop);
    CPPUNIT_TEST(testStopEndsSleepAtOnce);
    CPPUNIT_TEST(testSleepAfterStopReturnsAtOnce);
    CPPUNIT_TEST(testStopRunsCallbacksRegisteredOnToken);
    CPPUNIT_TEST_SUITE_END();

public:
    void testNoStopUntilRequested() {
        StopToken stop;
        CPPUNIT_ASSERT(!stop.stopRequested());
        CPPUNIT_ASSERT(!stop.token().stop_requested());
        stop.requestStop();
        CPPUNIT_ASSERT(stop.stopRequested());
        CPPUNIT_ASSERT(stop.token().stop_requested());
    }

    void testSleepRunsOutWithoutStop() {
        StopToken stop;
        CPPUNIT_ASSERT(!stop.sleepFor(5ms));
    }

    void testStopEndsSleepAtOnce() {
        StopToken stop;
        CPPUNIT_ASSERT(msgbus::test::interruptSleep([&stop] { return stop.sleepFor(longSleep); },
                                                    [&stop] { stop.requestStop(); }));
    }

    void testSleepAfterStopReturnsAtOnce() {
        StopToken stop;
        stop.requestStop();
        CPPUNIT_ASSERT(msgbus::test::sleepNotAtAll([&stop] { return stop.sleepFor(longSleep); }));
    }

    void testStopRunsCallbacksRegisteredOnToken() {
        StopToken stop;
        int calls = 0;
        {
            std::stop_callback callback(stop.token(), [&calls] { ++calls; });
            stop.requestStop();
            stop.requestStop(); // a second request runs nothing again
        }
        CPPUNIT_ASSERT_EQUAL(1, calls);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StopTokenTest);
