// parseDuration: the durations of the command line (--older-than) and the properties file
// (dedup.retention), one reading for both.
#include "core/util/Duration.h"

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::DurationProblem;
using msgbus::core::parseDuration;

class DurationTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DurationTest);
    CPPUNIT_TEST(testEachUnit);
    CPPUNIT_TEST(testAnythingElseIsNotADuration);
    CPPUNIT_TEST(testTooLargeIsSaidSo);
    CPPUNIT_TEST_SUITE_END();

    static std::int64_t ms(const std::string& text) {
        DurationProblem problem = DurationProblem::NotADuration;
        auto value = parseDuration(text, problem);
        CPPUNIT_ASSERT_MESSAGE(text, value.has_value());
        return value->count();
    }

    static DurationProblem problemOf(const std::string& text) {
        DurationProblem problem = DurationProblem::TooLarge;
        CPPUNIT_ASSERT_MESSAGE(text, !parseDuration(text, problem));
        return problem;
    }

public:
    void testEachUnit() {
        CPPUNIT_ASSERT_EQUAL(std::int64_t(15000), ms("15s"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(15 * 60000), ms("15m"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(2 * 3600000), ms("2h"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(7LL * 86400000), ms("7d"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), ms("0s"));
    }

    void testAnythingElseIsNotADuration() {
        for (const std::string text : {"7", "d", "7w", "-7d", "7.5d", " 7d", "7d ", "7D", ""})
            CPPUNIT_ASSERT_MESSAGE(text, problemOf(text) == DurationProblem::NotADuration);
    }

    void testTooLargeIsSaidSo() {
        CPPUNIT_ASSERT(problemOf("999999999999d") == DurationProblem::TooLarge);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DurationTest);
