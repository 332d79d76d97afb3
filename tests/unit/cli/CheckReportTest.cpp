// CheckReport: the lines and the JSON document of `msgbus check`, masked and one line each.
#include "core/cli/CheckReport.h"

#include <msgbus/internal/Json.h>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::cli::CheckReport;
using msgbus::core::cli::SecretMask;

namespace {

struct Written {
    std::vector<std::string> chunks;
    std::function<void(const std::string&)> sink() {
        return [this](const std::string& text) { chunks.push_back(text); };
    }
    std::string all() const {
        std::string out;
        for (const auto& c : chunks)
            out += c;
        return out;
    }
};

SecretMask maskOf(const std::string& secret) {
    SecretMask mask;
    mask.add(secret);
    return mask;
}

Poco::JSON::Object::Ptr parse(const std::string& text) {
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

} // namespace

class CheckReportTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CheckReportTest);
    CPPUNIT_TEST(testTextLinesAreWrittenAsTheyCome);
    CPPUNIT_TEST(testOkWithoutDetailHasNoColon);
    CPPUNIT_TEST(testPassedSummaryCountsEachStatus);
    CPPUNIT_TEST(testFailedSummarySaysWhatToDo);
    CPPUNIT_TEST(testAttemptThatSucceedsWritesNothing);
    CPPUNIT_TEST(testAttemptThatThrowsIsAFailWithTheErrorText);
    CPPUNIT_TEST(testAttemptOfANonStandardExceptionIsStillAFail);
    CPPUNIT_TEST(testMultiLineDetailBecomesOneLine);
    CPPUNIT_TEST(testSecretsAreMaskedInNameAndDetail);
    CPPUNIT_TEST(testJsonWritesOneDocumentAtTheEnd);
    CPPUNIT_TEST(testJsonOkIsFalseAfterAFail);
    CPPUNIT_TEST(testJsonOfNoChecksIsAnEmptyPassingList);
    CPPUNIT_TEST(testJsonEscapesAndStaysValidUtf8);
    CPPUNIT_TEST_SUITE_END();

public:
    void testTextLinesAreWrittenAsTheyCome() {
        Written out;
        CheckReport report(CheckReport::Format::Text, SecretMask(), out.sink());
        report.ok("database", "MariaDB 10.11 at 127.0.0.1:3306");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), out.chunks.size());
        report.fail("broker", "connection refused");
        report.info("plugins", "2 loaded");
        CPPUNIT_ASSERT_EQUAL(std::string("OK   database: MariaDB 10.11 at 127.0.0.1:3306\n"),
                             out.chunks[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("FAIL broker: connection refused\n"), out.chunks[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("INFO plugins: 2 loaded\n"), out.chunks[2]);
    }

    void testOkWithoutDetailHasNoColon() {
        Written out;
        CheckReport report(CheckReport::Format::Text, SecretMask(), out.sink());
        report.ok("configuration");
        CPPUNIT_ASSERT_EQUAL(std::string("OK   configuration\n"), out.all());
    }

    void testPassedSummaryCountsEachStatus() {
        Written out;
        CheckReport report(CheckReport::Format::Text, SecretMask(), out.sink());
        report.ok("a");
        report.ok("b");
        report.info("c", "d");
        CPPUNIT_ASSERT(report.passed());
        report.finish();
        CPPUNIT_ASSERT_EQUAL(std::string("PASSED: 2 OK, 0 FAIL, 1 INFO\n"), out.chunks.back());
    }

    void testFailedSummarySaysWhatToDo() {
        Written out;
        CheckReport report(CheckReport::Format::Text, SecretMask(), out.sink());
        report.ok("a");
        report.fail("b", "x");
        report.fail("c", "y");
        CPPUNIT_ASSERT(!report.passed());
        report.finish();
        CPPUNIT_ASSERT_EQUAL(std::string("FAILED: 1 OK, 2 FAIL, 0 INFO (fix the FAIL lines, then "
                                         "run msgbus check again)\n"),
                             out.chunks.back());
    }

    void testAttemptThatSucceedsWritesNothing() {
        Written out;
        CheckReport report(CheckReport::Format::Text, SecretMask(), out.sink());
        bool ran = false;
        report.attempt("schema", [&ran] { ran = true; });
        CPPUNIT_ASSERT(ran);
        CPPUNIT_ASSERT(out.chunks.empty());
        CPPUNIT_ASSERT(report.passed());
    }

    void testAttemptThatThrowsIsAFailWithTheErrorText() {
        Written out;
        CheckReport report(CheckReport::Format::Text, SecretMask(), out.sink());
        report.attempt("schema", [] { throw Poco::NotFoundException("table msgbus_outbox"); });
        // The check goes on after a failure: every problem is reported, not the first alone.
        report.attempt("broker", [] { throw std::runtime_error("unreachable"); });
        CPPUNIT_ASSERT(!report.passed());
        CPPUNIT_ASSERT_EQUAL(std::string("FAIL schema: Not found: table msgbus_outbox\n"),
                             out.chunks[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("FAIL broker: unreachable\n"), out.chunks[1]);
    }

    void testAttemptOfANonStandardExceptionIsStillAFail() {
        Written out;
        CheckReport report(CheckReport::Format::Text, SecretMask(), out.sink());
        report.attempt("plugin orders", [] { throw 7; });
        CPPUNIT_ASSERT(!report.passed());
        CPPUNIT_ASSERT(out.all().rfind("FAIL plugin orders: an exception that is not a "
                                       "std::exception",
                                       0) == 0);
    }

    void testMultiLineDetailBecomesOneLine() {
        Written out;
        CheckReport report(CheckReport::Format::Text, SecretMask(), out.sink());
        report.fail("database\nprimary", "line one\r\nline two\tend");
        CPPUNIT_ASSERT_EQUAL(std::string("FAIL database primary: line one  line two end\n"),
                             out.all());
    }

    void testSecretsAreMaskedInNameAndDetail() {
        Written out;
        CheckReport report(CheckReport::Format::Text, maskOf("hunter22"), out.sink());
        report.fail("login hunter22", "Access denied (using password hunter22)");
        const std::string text = out.all();
        CPPUNIT_ASSERT_MESSAGE(text, text.find("hunter22") == std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(text, text.find("***") != std::string::npos);
    }

    void testJsonWritesOneDocumentAtTheEnd() {
        Written out;
        CheckReport report(CheckReport::Format::Json, SecretMask(), out.sink());
        report.ok("database", "ok");
        report.info("plugins", "2 loaded");
        CPPUNIT_ASSERT(out.chunks.empty());
        report.finish();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), out.chunks.size());
        CPPUNIT_ASSERT_EQUAL(
            std::string("{\"checks\":[{\"name\":\"database\",\"status\":\"ok\",\"detail\":\"ok\"},"
                        "{\"name\":\"plugins\",\"status\":\"info\",\"detail\":\"2 loaded\"}],"
                        "\"ok\":true}\n"),
            out.chunks[0]);
    }

    void testJsonOkIsFalseAfterAFail() {
        Written out;
        CheckReport report(CheckReport::Format::Json, maskOf("s3cret!"), out.sink());
        report.ok("configuration");
        report.attempt("broker", [] { throw std::runtime_error("ACCESS_REFUSED for s3cret!"); });
        report.finish();
        const auto doc = parse(out.all());
        CPPUNIT_ASSERT(!doc->getValue<bool>("ok"));
        const auto checks = doc->getArray("checks");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), checks->size());
        CPPUNIT_ASSERT_EQUAL(std::string(""),
                             checks->getObject(0)->getValue<std::string>("detail"));
        CPPUNIT_ASSERT_EQUAL(std::string("fail"),
                             checks->getObject(1)->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("ACCESS_REFUSED for ***"),
                             checks->getObject(1)->getValue<std::string>("detail"));
    }

    void testJsonOfNoChecksIsAnEmptyPassingList() {
        Written out;
        CheckReport report(CheckReport::Format::Json, SecretMask(), out.sink());
        report.finish();
        CPPUNIT_ASSERT_EQUAL(std::string("{\"checks\":[],\"ok\":true}\n"), out.all());
    }

    void testJsonEscapesAndStaysValidUtf8() {
        Written out;
        CheckReport report(CheckReport::Format::Json, SecretMask(), out.sink());
        report.fail("queue \"orders\"", std::string("driver said \xff\\ bye"));
        report.finish();
        const std::string text = out.all();
        CPPUNIT_ASSERT(msgbus::json::isValidUtf8(text));
        const auto check = parse(text)->getArray("checks")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("queue \"orders\""), check->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("driver said \xef\xbf\xbd\\ bye"),
                             check->getValue<std::string>("detail"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CheckReportTest);
