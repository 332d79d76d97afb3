// Capped exponential backoff with equal jitter.
#include "core/util/Backoff.h"

#include <cppunit/extensions/HelperMacros.h>

#include <set>

using namespace msgbus::core;
using std::chrono::milliseconds;

class BackoffTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BackoffTest);
    CPPUNIT_TEST(testCeilingGrowsByTheMultiplierUpToTheCap);
    CPPUNIT_TEST(testDelayStaysWithinHalfAndAllOfTheCeiling);
    CPPUNIT_TEST(testDelaysAreSpread);
    CPPUNIT_TEST(testZeroAndTinyBasesDoNotJitter);
    CPPUNIT_TEST(testOutageScheduleIsShortAndCapped);
    CPPUNIT_TEST(testHugeAttemptsStayAtTheCap);
    CPPUNIT_TEST_SUITE_END();

public:
    void testCeilingGrowsByTheMultiplierUpToTheCap() {
        Backoff backoff(milliseconds(100), 2.0, milliseconds(1000));
        CPPUNIT_ASSERT_EQUAL(100LL, static_cast<long long>(backoff.ceiling(1).count()));
        CPPUNIT_ASSERT_EQUAL(200LL, static_cast<long long>(backoff.ceiling(2).count()));
        CPPUNIT_ASSERT_EQUAL(800LL, static_cast<long long>(backoff.ceiling(4).count()));
        CPPUNIT_ASSERT_EQUAL(1000LL, static_cast<long long>(backoff.ceiling(5).count()));
        CPPUNIT_ASSERT_EQUAL(1000LL, static_cast<long long>(backoff.ceiling(50).count()));
    }

    void testDelayStaysWithinHalfAndAllOfTheCeiling() {
        Backoff backoff(milliseconds(100), 3.0, milliseconds(5000));
        for (int attempt = 1; attempt <= 8; ++attempt)
            for (int i = 0; i < 200; ++i) {
                const auto top = backoff.ceiling(attempt).count();
                const auto delay = backoff.delay(attempt).count();
                CPPUNIT_ASSERT(delay >= top / 2);
                CPPUNIT_ASSERT(delay <= top);
            }
    }

    void testDelaysAreSpread() {
        // Workers that failed together must not all come back at the same moment.
        Backoff backoff(milliseconds(1000), 2.0, milliseconds(60000));
        std::set<long long> seen;
        for (int i = 0; i < 50; ++i)
            seen.insert(static_cast<long long>(backoff.delay(3).count()));
        CPPUNIT_ASSERT(seen.size() > 10);
    }

    void testZeroAndTinyBasesDoNotJitter() {
        Backoff zero(milliseconds(0), 2.0, milliseconds(0));
        CPPUNIT_ASSERT_EQUAL(0LL, static_cast<long long>(zero.delay(3).count()));
        Backoff one(milliseconds(1), 1.0, milliseconds(1));
        CPPUNIT_ASSERT_EQUAL(1LL, static_cast<long long>(one.delay(7).count()));
    }

    void testOutageScheduleIsShortAndCapped() {
        const Backoff outage = Backoff::forOutage();
        CPPUNIT_ASSERT_EQUAL(200LL, static_cast<long long>(outage.ceiling(1).count()));
        CPPUNIT_ASSERT_EQUAL(5000LL, static_cast<long long>(outage.ceiling(20).count()));
    }

    void testHugeAttemptsStayAtTheCap() {
        Backoff backoff(milliseconds(1000), 10.0, milliseconds(300000));
        CPPUNIT_ASSERT_EQUAL(300000LL, static_cast<long long>(backoff.ceiling(1000000).count()));
        CPPUNIT_ASSERT(backoff.delay(1000000).count() >= 150000);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BackoffTest);
