// Ages and points in time on the command line (--older-than, --since, --until).
#include "core/cli/TimeArgument.h"
#include "core/cli/CommandLine.h"
#include "support/ThrownText.h"

#include <cppunit/extensions/HelperMacros.h>

#include <functional>

using namespace msgbus::core;
using namespace msgbus::core::cli;

class TimeArgumentTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(TimeArgumentTest);
    CPPUNIT_TEST(testAgesInEachUnit);
    CPPUNIT_TEST(testAgeRejectsWhatIsNotANumberAndAUnit);
    CPPUNIT_TEST(testAgeTooLargeIsRefused);
    CPPUNIT_TEST(testPointInTimeAsAnAgeCountsBackFromNow);
    CPPUNIT_TEST(testIsoDateAndTimesInUtc);
    CPPUNIT_TEST(testIsoOffsetsMoveTheTimeToUtc);
    CPPUNIT_TEST(testFractionOfASecond);
    CPPUNIT_TEST(testImpossibleDatesAndTextAreRefusedNamingTheFlag);
    CPPUNIT_TEST(testIsoTimeTextRoundTrips);
    CPPUNIT_TEST(testIsoMillisTextRoundTripsToTheMillisecond);
    CPPUNIT_TEST(testIsoTimeOnlyRefusesAgesNamingTheFlag);
    CPPUNIT_TEST_SUITE_END();

    static constexpr std::int64_t kNow = 1795669200000; // 2026-11-26T05:00:00Z

    static std::string usageOf(const std::function<void()>& call) {
        return msgbus::test::thrownText<UsageError>(call);
    }

public:
    void testAgesInEachUnit() {
        CPPUNIT_ASSERT_EQUAL(std::int64_t(15000), parseAge("--older-than", "15s").count());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(15 * 60000), parseAge("--older-than", "15m").count());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(2 * 3600000), parseAge("--older-than", "2h").count());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(7LL * 86400000), parseAge("--older-than", "7d").count());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), parseAge("--older-than", "0s").count());
    }

    void testAgeRejectsWhatIsNotANumberAndAUnit() {
        for (const std::string text : {"7", "d", "7w", "-7d", "7.5d", " 7d", "7d ", "7D", ""}) {
            const auto message = usageOf([&] { parseAge("--older-than", text); });
            CPPUNIT_ASSERT_MESSAGE(message, message.find("--older-than '" + text + "'") == 0);
        }
    }

    void testAgeTooLargeIsRefused() {
        const auto message = usageOf([] { parseAge("--older-than", "999999999999d"); });
        CPPUNIT_ASSERT_MESSAGE(message, message.find("too large") != std::string::npos);
    }

    void testPointInTimeAsAnAgeCountsBackFromNow() {
        CPPUNIT_ASSERT_EQUAL(kNow - 2 * 3600000, parsePointInTime("--since", "2h", kNow));
        CPPUNIT_ASSERT_EQUAL(kNow - 15 * 60000, parsePointInTime("--since", "15m", kNow));
        CPPUNIT_ASSERT_EQUAL(kNow, parsePointInTime("--until", "0s", kNow));
    }

    void testIsoDateAndTimesInUtc() {
        CPPUNIT_ASSERT_EQUAL(kNow, parsePointInTime("--since", "2026-11-26T05:00:00Z", kNow));
        CPPUNIT_ASSERT_EQUAL(kNow, parsePointInTime("--since", "2026-11-26T05:00:00", kNow));
        CPPUNIT_ASSERT_EQUAL(kNow, parsePointInTime("--since", "2026-11-26T05:00Z", kNow));
        CPPUNIT_ASSERT_EQUAL(kNow, parsePointInTime("--since", "2026-11-26 05:00:00", kNow));
        CPPUNIT_ASSERT_EQUAL(kNow - 5 * 3600000, parsePointInTime("--since", "2026-11-26", kNow));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), parsePointInTime("--since", "1970-01-01", kNow));
    }

    void testIsoOffsetsMoveTheTimeToUtc() {
        CPPUNIT_ASSERT_EQUAL(kNow, parsePointInTime("--since", "2026-11-26T07:00:00+02:00", kNow));
        CPPUNIT_ASSERT_EQUAL(kNow, parsePointInTime("--since", "2026-11-26T07:00:00+0200", kNow));
        CPPUNIT_ASSERT_EQUAL(kNow, parsePointInTime("--since", "2026-11-25T23:30:00-05:30", kNow));
    }

    void testFractionOfASecond() {
        CPPUNIT_ASSERT_EQUAL(kNow + 123,
                             parsePointInTime("--since", "2026-11-26T05:00:00.123Z", kNow));
        CPPUNIT_ASSERT_EQUAL(kNow + 500,
                             parsePointInTime("--since", "2026-11-26T05:00:00.5Z", kNow));
        CPPUNIT_ASSERT_EQUAL(kNow + 999,
                             parsePointInTime("--since", "2026-11-26T05:00:00.999999Z", kNow));
    }

    void testImpossibleDatesAndTextAreRefusedNamingTheFlag() {
        for (const std::string text :
             {"yesterday", "2026-02-30", "2026-13-01", "2026-11-26T24:00:00Z", "2026-11-26T05:60Z",
              "2026-11-26T05:00:00+25:00", "26-11-2026", "2026-11-26T05", "now", "-2h", ""}) {
            const auto message = usageOf([&] { parsePointInTime("--until", text, kNow); });
            CPPUNIT_ASSERT_MESSAGE(text + ": " + message,
                                   message.find("--until '" + text + "'") == 0);
        }
    }

    void testIsoTimeTextRoundTrips() {
        CPPUNIT_ASSERT_EQUAL(std::string("2026-11-26T05:00:00Z"), isoTimeText(kNow));
        CPPUNIT_ASSERT_EQUAL(std::string("1970-01-01T00:00:00Z"), isoTimeText(0));
        CPPUNIT_ASSERT_EQUAL(kNow, parsePointInTime("--since", isoTimeText(kNow), 0));
    }

    void testIsoMillisTextRoundTripsToTheMillisecond() {
        CPPUNIT_ASSERT_EQUAL(std::string("2026-11-26T05:00:00.000Z"), isoMillisText(kNow));
        CPPUNIT_ASSERT_EQUAL(std::string("2026-11-26T05:00:00.007Z"), isoMillisText(kNow + 7));
        CPPUNIT_ASSERT_EQUAL(std::string("2026-11-26T05:00:01.250Z"), isoMillisText(kNow + 1250));
        for (std::int64_t ms : {kNow, kNow + 7, kNow + 999, kNow + 61001})
            CPPUNIT_ASSERT_EQUAL(ms, parsePointInTime("--until", isoMillisText(ms), 0));
    }

    void testIsoTimeOnlyRefusesAgesNamingTheFlag() {
        CPPUNIT_ASSERT_EQUAL(kNow, parseIsoTime("--at", "2026-11-26T05:00:00Z"));
        CPPUNIT_ASSERT_EQUAL(kNow, parseIsoTime("--at", "2026-11-26T07:00+02:00"));
        const std::string text = usageOf([] { parseIsoTime("--at", "10m"); });
        CPPUNIT_ASSERT(text.find("--at '10m'") != std::string::npos);
        CPPUNIT_ASSERT(text.find("ISO-8601") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TimeArgumentTest);
