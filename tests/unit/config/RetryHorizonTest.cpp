// RetryHorizon: how long a message can still come back through the retry schedule, which bounds
// how young a deduplication row `cleanup:dedup` may delete.
#include "core/config/RetryHorizon.h"

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::durationText;
using msgbus::core::minimumDedupRetention;
using msgbus::core::retryHorizon;
using msgbus::core::RetrySettings;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

RetrySettings retry(int maxRetries, milliseconds delay, double multiplier, milliseconds maxDelay) {
    RetrySettings s;
    s.maxRetries = maxRetries;
    s.delay = delay;
    s.multiplier = multiplier;
    s.maxDelay = maxDelay;
    return s;
}

} // namespace

class RetryHorizonTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RetryHorizonTest);
    CPPUNIT_TEST(testNoRetriesHaveNoHorizon);
    CPPUNIT_TEST(testHorizonSumsTheGrowingDelays);
    CPPUNIT_TEST(testEachDelayIsCappedAtTheMaximum);
    CPPUNIT_TEST(testFlatScheduleIsDelayTimesRetries);
    CPPUNIT_TEST(testLeaseIsNotPartOfTheHorizon);
    CPPUNIT_TEST(testRetentionIsNeverBelowOneHour);
    CPPUNIT_TEST(testRetentionIsTheHorizonWhenLonger);
    CPPUNIT_TEST(testDurationTextLargestUnitsFirstZeroPartsLeftOut);
    CPPUNIT_TEST(testDurationTextRoundsUpToWholeSeconds);
    CPPUNIT_TEST(testDurationTextOfNothingIsZeroSeconds);
    CPPUNIT_TEST_SUITE_END();

public:
    void testNoRetriesHaveNoHorizon() {
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0),
                             retryHorizon(retry(0, seconds(10), 2, minutes(1))).count());
    }

    void testHorizonSumsTheGrowingDelays() {
        // 1 s + 2 s + 4 s + 8 s.
        CPPUNIT_ASSERT_EQUAL(std::int64_t(15000),
                             retryHorizon(retry(4, seconds(1), 2, minutes(1))).count());
        // 0.5 s + 1.5 s + 4.5 s.
        CPPUNIT_ASSERT_EQUAL(std::int64_t(6500),
                             retryHorizon(retry(3, milliseconds(500), 3, minutes(1))).count());
    }

    void testEachDelayIsCappedAtTheMaximum() {
        // 1 + 2 + 4 + 5 + 5 + 5 seconds.
        CPPUNIT_ASSERT_EQUAL(std::int64_t(22000),
                             retryHorizon(retry(6, seconds(1), 2, seconds(5))).count());
    }

    void testFlatScheduleIsDelayTimesRetries() {
        CPPUNIT_ASSERT_EQUAL(std::int64_t(300000),
                             retryHorizon(retry(10, seconds(30), 1, hours(1))).count());
    }

    void testLeaseIsNotPartOfTheHorizon() {
        RetrySettings s = retry(2, seconds(1), 2, minutes(1));
        const auto without = retryHorizon(s);
        s.lease = hours(5);
        CPPUNIT_ASSERT_EQUAL(without.count(), retryHorizon(s).count());
    }

    void testRetentionIsNeverBelowOneHour() {
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3600000),
                             minimumDedupRetention(retry(0, seconds(1), 2, seconds(1))).count());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3600000),
                             minimumDedupRetention(retry(3, seconds(1), 2, minutes(1))).count());
    }

    void testRetentionIsTheHorizonWhenLonger() {
        // 30 retries a day apart, capped at one day: 30 days.
        const RetrySettings s = retry(30, hours(24), 2, hours(24));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(30) * 86400000, minimumDedupRetention(s).count());
        CPPUNIT_ASSERT_EQUAL(std::string("30d"), durationText(minimumDedupRetention(s)));
    }

    void testDurationTextLargestUnitsFirstZeroPartsLeftOut() {
        CPPUNIT_ASSERT_EQUAL(std::string("1h"), durationText(hours(1)));
        CPPUNIT_ASSERT_EQUAL(std::string("2h 30m"), durationText(minutes(150)));
        CPPUNIT_ASSERT_EQUAL(std::string("45s"), durationText(seconds(45)));
        CPPUNIT_ASSERT_EQUAL(std::string("3d 4h"), durationText(hours(76)));
        CPPUNIT_ASSERT_EQUAL(std::string("1d 1s"), durationText(seconds(86401)));
        CPPUNIT_ASSERT_EQUAL(std::string("1d 1h 1m 1s"), durationText(seconds(90061)));
    }

    void testDurationTextRoundsUpToWholeSeconds() {
        // Rounding down would show a retention shorter than the one required.
        CPPUNIT_ASSERT_EQUAL(std::string("1s"), durationText(milliseconds(1)));
        CPPUNIT_ASSERT_EQUAL(std::string("1m"), durationText(milliseconds(59001)));
        CPPUNIT_ASSERT_EQUAL(std::string("1m 1s"), durationText(milliseconds(60001)));
    }

    void testDurationTextOfNothingIsZeroSeconds() {
        CPPUNIT_ASSERT_EQUAL(std::string("0s"), durationText(milliseconds(0)));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RetryHorizonTest);
