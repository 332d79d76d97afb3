// Histogram: cumulative Prometheus buckets of milliseconds, rendered in seconds.
#include "core/metrics/Histogram.h"

#include <cppunit/extensions/HelperMacros.h>

#include <sstream>
#include <thread>
#include <vector>

using msgbus::core::Histogram;

namespace {

// The value on the line that starts with series + " ", or "(missing)".
std::string valueOf(const std::string& text, const std::string& series) {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line))
        if (line.rfind(series + " ", 0) == 0)
            return line.substr(series.size() + 1);
    return "(missing)";
}

std::string bucket(const std::string& text, const std::string& le) {
    return valueOf(text, "t_bucket{le=\"" + le + "\"}");
}

} // namespace

class HistogramTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(HistogramTest);
    CPPUNIT_TEST(testEmptyHistogramRendersZeros);
    CPPUNIT_TEST(testRenderStartsWithHelpAndType);
    CPPUNIT_TEST(testBucketBoundsAreInSeconds);
    CPPUNIT_TEST(testObservationCountsInItsBucketAndEveryLargerOne);
    CPPUNIT_TEST(testValueOnABoundFallsInThatBucket);
    CPPUNIT_TEST(testValueAboveTheLargestBucketCountsOnlyInInf);
    CPPUNIT_TEST(testBucketsAreCumulative);
    CPPUNIT_TEST(testSumIsInSecondsWithMicrosecondPrecision);
    CPPUNIT_TEST(testNegativeDurationCountsButAddsNothingToTheSum);
    CPPUNIT_TEST(testConcurrentObservationsAreAllCounted);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEmptyHistogramRendersZeros() {
        const Histogram h;
        const std::string text = h.render("t", "help");
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), h.count());
        for (double ms : Histogram::bucketsMs) {
            std::ostringstream le;
            le << ms / 1000.0;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(le.str(), std::string("0"), bucket(text, le.str()));
        }
        CPPUNIT_ASSERT_EQUAL(std::string("0"), bucket(text, "+Inf"));
        CPPUNIT_ASSERT_EQUAL(std::string("0.000000"), valueOf(text, "t_sum"));
        CPPUNIT_ASSERT_EQUAL(std::string("0"), valueOf(text, "t_count"));
    }

    void testRenderStartsWithHelpAndType() {
        const std::string text = Histogram().render("msgbus_x_seconds", "How long x took");
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), text.find("# HELP msgbus_x_seconds How long x took\n"
                                                       "# TYPE msgbus_x_seconds histogram\n"));
        // Every line ends with a newline, the last one too (the next metric follows).
        CPPUNIT_ASSERT_EQUAL('\n', text.back());
    }

    void testBucketBoundsAreInSeconds() {
        const std::string text = Histogram().render("t", "h");
        for (const char* le : {"0.001", "0.002", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                               "0.5", "1", "2.5", "5", "10", "+Inf"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(le, std::string("0"), bucket(text, le));
        // Thirteen bounds and +Inf, nothing else.
        std::size_t lines = 0;
        for (std::size_t at = text.find("t_bucket{"); at != std::string::npos;
             at = text.find("t_bucket{", at + 1))
            ++lines;
        CPPUNIT_ASSERT_EQUAL(std::size_t(14), lines);
    }

    void testObservationCountsInItsBucketAndEveryLargerOne() {
        Histogram h;
        h.observe(7);
        const std::string text = h.render("t", "h");
        CPPUNIT_ASSERT_EQUAL(std::string("0"), bucket(text, "0.005"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), bucket(text, "0.01"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), bucket(text, "10"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), bucket(text, "+Inf"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), h.count());
    }

    void testValueOnABoundFallsInThatBucket() {
        // Prometheus buckets are "less than or equal".
        Histogram h;
        h.observe(5);
        h.observe(1000);
        const std::string text = h.render("t", "h");
        CPPUNIT_ASSERT_EQUAL(std::string("0"), bucket(text, "0.002"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), bucket(text, "0.005"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), bucket(text, "0.5"));
        CPPUNIT_ASSERT_EQUAL(std::string("2"), bucket(text, "1"));
    }

    void testValueAboveTheLargestBucketCountsOnlyInInf() {
        Histogram h;
        h.observe(10000.5);
        const std::string text = h.render("t", "h");
        CPPUNIT_ASSERT_EQUAL(std::string("0"), bucket(text, "10"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), bucket(text, "+Inf"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), valueOf(text, "t_count"));
    }

    void testBucketsAreCumulative() {
        Histogram h;
        for (double ms : {0.5, 3.0, 30.0, 300.0, 3000.0, 30000.0})
            h.observe(ms);
        const std::string text = h.render("t", "h");
        CPPUNIT_ASSERT_EQUAL(std::string("1"), bucket(text, "0.001"));
        CPPUNIT_ASSERT_EQUAL(std::string("2"), bucket(text, "0.005"));
        CPPUNIT_ASSERT_EQUAL(std::string("3"), bucket(text, "0.05"));
        CPPUNIT_ASSERT_EQUAL(std::string("4"), bucket(text, "0.5"));
        CPPUNIT_ASSERT_EQUAL(std::string("5"), bucket(text, "5"));
        CPPUNIT_ASSERT_EQUAL(std::string("5"), bucket(text, "10"));
        CPPUNIT_ASSERT_EQUAL(std::string("6"), bucket(text, "+Inf"));
        CPPUNIT_ASSERT_EQUAL(std::string("6"), valueOf(text, "t_count"));
    }

    void testSumIsInSecondsWithMicrosecondPrecision() {
        Histogram h;
        h.observe(1500);
        h.observe(250);
        h.observe(0.25);
        CPPUNIT_ASSERT_EQUAL(std::string("1.750250"), valueOf(h.render("t", "h"), "t_sum"));
    }

    void testNegativeDurationCountsButAddsNothingToTheSum() {
        // A clock step backwards must not wrap the unsigned sum around.
        Histogram h;
        h.observe(2);
        h.observe(-5);
        const std::string text = h.render("t", "h");
        CPPUNIT_ASSERT_EQUAL(std::string("0.002000"), valueOf(text, "t_sum"));
        CPPUNIT_ASSERT_EQUAL(std::string("2"), valueOf(text, "t_count"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), bucket(text, "0.001"));
    }

    void testConcurrentObservationsAreAllCounted() {
        Histogram h;
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&h] {
                for (int i = 0; i < 1000; ++i)
                    h.observe(3);
            });
        for (auto& t : threads)
            t.join();
        const std::string text = h.render("t", "h");
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(4000), h.count());
        CPPUNIT_ASSERT_EQUAL(std::string("4000"), bucket(text, "0.005"));
        CPPUNIT_ASSERT_EQUAL(std::string("0"), bucket(text, "0.002"));
        CPPUNIT_ASSERT_EQUAL(std::string("12.000000"), valueOf(text, "t_sum"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HistogramTest);
