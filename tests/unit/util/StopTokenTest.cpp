// StopToken: the shutdown flag and the interruptible sleep every worker polls.
#include "core/util/StopToken.h"

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <future>
#include <thread>

using msgbus::core::StopToken;
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
        const auto start = std::chrono::steady_clock::now();
        auto sleeper = std::async(std::launch::async, [&stop] { return stop.sleepFor(60s); });
        std::this_thread::sleep_for(10ms);
        stop.requestStop();
        CPPUNIT_ASSERT(sleeper.wait_for(30s) == std::future_status::ready);
        CPPUNIT_ASSERT(sleeper.get());
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < 30s);
    }

    void testSleepAfterStopReturnsAtOnce() {
        StopToken stop;
        stop.requestStop();
        const auto start = std::chrono::steady_clock::now();
        CPPUNIT_ASSERT(stop.sleepFor(60s));
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < 30s);
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
