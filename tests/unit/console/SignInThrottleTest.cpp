// SignInThrottle: a few free failures per address, then blocks that double, a success clears.
#include "core/console/SignInThrottle.h"

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::console::SignInThrottle;
using namespace std::chrono_literals;

class SignInThrottleTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SignInThrottleTest);
    CPPUNIT_TEST(testFreeFailuresThenDoublingBlocks);
    CPPUNIT_TEST(testBlockIsCapped);
    CPPUNIT_TEST(testSuccessAndQuietTimeClearAnAddress);
    CPPUNIT_TEST(testAddressesAreCountedApart);
    CPPUNIT_TEST_SUITE_END();

    const SignInThrottle::Clock::time_point t0 = SignInThrottle::Clock::now();

    static void fail(SignInThrottle& t, const std::string& address,
                     SignInThrottle::Clock::time_point at, int times) {
        for (int i = 0; i < times; ++i)
            t.failed(address, at);
    }

public:
    void testFreeFailuresThenDoublingBlocks() {
        SignInThrottle t;
        fail(t, "10.0.0.1", t0, SignInThrottle::kFreeFailures);
        CPPUNIT_ASSERT_EQUAL(0LL, static_cast<long long>(t.blockedFor("10.0.0.1", t0).count()));
        t.failed("10.0.0.1", t0);
        CPPUNIT_ASSERT_EQUAL(1000LL, static_cast<long long>(t.blockedFor("10.0.0.1", t0).count()));
        CPPUNIT_ASSERT_EQUAL(400LL,
                             static_cast<long long>(t.blockedFor("10.0.0.1", t0 + 600ms).count()));
        CPPUNIT_ASSERT_EQUAL(0LL,
                             static_cast<long long>(t.blockedFor("10.0.0.1", t0 + 1s).count()));
        t.failed("10.0.0.1", t0 + 1s);
        CPPUNIT_ASSERT_EQUAL(2000LL,
                             static_cast<long long>(t.blockedFor("10.0.0.1", t0 + 1s).count()));
        t.failed("10.0.0.1", t0 + 3s);
        CPPUNIT_ASSERT_EQUAL(4000LL,
                             static_cast<long long>(t.blockedFor("10.0.0.1", t0 + 3s).count()));
    }

    void testBlockIsCapped() {
        SignInThrottle t;
        fail(t, "10.0.0.1", t0, 200);
        CPPUNIT_ASSERT(t.blockedFor("10.0.0.1", t0) == SignInThrottle::kMaxBlock);
    }

    void testSuccessAndQuietTimeClearAnAddress() {
        SignInThrottle t;
        fail(t, "10.0.0.1", t0, SignInThrottle::kFreeFailures + 1);
        t.succeeded("10.0.0.1");
        CPPUNIT_ASSERT_EQUAL(0LL, static_cast<long long>(t.blockedFor("10.0.0.1", t0).count()));
        t.failed("10.0.0.1", t0);
        CPPUNIT_ASSERT_EQUAL(0LL, static_cast<long long>(t.blockedFor("10.0.0.1", t0).count()));
        // Failures long ago are forgotten: the free ones are free again.
        fail(t, "10.0.0.2", t0, SignInThrottle::kFreeFailures);
        const auto later = t0 + SignInThrottle::kForgetAfter + 1s;
        fail(t, "10.0.0.2", later, SignInThrottle::kFreeFailures);
        CPPUNIT_ASSERT_EQUAL(0LL, static_cast<long long>(t.blockedFor("10.0.0.2", later).count()));
    }

    void testAddressesAreCountedApart() {
        SignInThrottle t;
        fail(t, "10.0.0.1", t0, SignInThrottle::kFreeFailures + 1);
        CPPUNIT_ASSERT(t.blockedFor("10.0.0.1", t0).count() > 0);
        CPPUNIT_ASSERT_EQUAL(0LL, static_cast<long long>(t.blockedFor("10.0.0.3", t0).count()));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SignInThrottleTest);
