// RefusalReport: the lines and counts of the rows failed:retry and failed:remove left alone, and
// the exit code (only a row named by id fails the command; --all skips and counts).
#include "core/cli/RefusalReport.h"

#include <cppunit/extensions/HelperMacros.h>

#include <sstream>

using msgbus::core::Refusal;
using msgbus::core::RowRefusal;
using msgbus::core::cli::RefusalReport;

class RefusalReportTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RefusalReportTest);
    CPPUNIT_TEST(testNothingRefusedSaysNothing);
    CPPUNIT_TEST(testEachReasonIsCountedAndNamed);
    CPPUNIT_TEST(testARemovalCountsLeasesOnly);
    CPPUNIT_TEST(testOnlyANamedRowFailsTheCommand);
    CPPUNIT_TEST_SUITE_END();

    static RowRefusal refusal(Refusal reason) {
        RowRefusal r;
        r.reason = reason;
        r.leasedUntil = 1795669200000; // 2026-11-26T05:00:00Z
        r.createdAt = 1795669200000;
        return r;
    }

    static std::string lines(const RefusalReport& report) {
        std::ostringstream out;
        report.print(out);
        return out.str();
    }

public:
    void testNothingRefusedSaysNothing() {
        RefusalReport report(std::chrono::hours(168));
        report.add(1, refusal(Refusal::None), true);
        CPPUNIT_ASSERT_EQUAL(std::string(""), report.summary(true));
        CPPUNIT_ASSERT_EQUAL(std::string(""), lines(report));
        CPPUNIT_ASSERT_EQUAL(0, report.exitCode());
    }

    void testEachReasonIsCountedAndNamed() {
        RefusalReport report(std::chrono::hours(168));
        report.add(11, refusal(Refusal::BodyCut), false);
        report.add(12, refusal(Refusal::Leased), false);
        report.add(13, refusal(Refusal::TooOld), false);
        report.add(14, refusal(Refusal::TooOld), false);
        report.add(15, refusal(Refusal::Gone), false);
        CPPUNIT_ASSERT_EQUAL(std::string("; refused 5: 1 cut bodies, 1 leased by a running host, 2 "
                                         "older than dedup.retention (use --force), 1 gone or "
                                         "changed meanwhile"),
                             report.summary(true));
        const auto text = lines(report);
        CPPUNIT_ASSERT(text.find("row 11 refused: its body was cut") == 0);
        CPPUNIT_ASSERT(text.find("\nrow 12 refused: a running host's retry worker holds it "
                                 "(leased until 2026-11-26T05:00:00Z)") != std::string::npos);
        CPPUNIT_ASSERT(text.find("\nrow 13 refused: created 2026-11-26T05:00:00Z, older than "
                                 "dedup.retention (7d)") != std::string::npos);
        CPPUNIT_ASSERT(text.find("--force retries it anyway") != std::string::npos);
        CPPUNIT_ASSERT(text.find("\nrow 15 refused: no longer in the failed table") !=
                       std::string::npos);
    }

    void testARemovalCountsLeasesOnly() {
        RefusalReport report(std::chrono::hours(168));
        report.add(12, refusal(Refusal::Leased), false);
        CPPUNIT_ASSERT_EQUAL(std::string("; refused 1: 1 leased by a running host"),
                             report.summary(false));
    }

    void testOnlyANamedRowFailsTheCommand() {
        RefusalReport all(std::chrono::hours(168));
        all.add(12, refusal(Refusal::Leased), false);
        CPPUNIT_ASSERT_EQUAL(0, all.exitCode());
        RefusalReport named(std::chrono::hours(168));
        named.add(11, refusal(Refusal::None), true);
        named.add(12, refusal(Refusal::Leased), true);
        CPPUNIT_ASSERT_EQUAL(1, named.exitCode());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RefusalReportTest);
