// The list endpoints' answers: a page as JSON in the order of its columns, the whole list as a
// JSON or CSV download (RFC 4180 quoting, no cell a spreadsheet would run as a formula), and
// the format parameter checked.
#include "core/console/ListAnswer.h"
#include "core/console/ApiAnswer.h"

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus::core::console;

class ListAnswerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ListAnswerTest);
    CPPUNIT_TEST(testAPageIsJsonInColumnOrderWithItsMembers);
    CPPUNIT_TEST(testCsvQuotesWhatNeedsItAndDefusesFormulas);
    CPPUNIT_TEST(testTheFormatParameterIsChecked);
    CPPUNIT_TEST(testQueryParametersNameWhatIsWrong);
    CPPUNIT_TEST_SUITE_END();

    static ListAnswer sample() {
        ListAnswer answer("rows", {"id", "name", "note", "tags"}, "sample");
        answer.add({Cell::of(std::int64_t{1}), Cell::of(std::string("a,b")),
                    Cell::of(std::optional<std::string>()),
                    Cell::of(std::vector<std::string>{"x", "y"})});
        answer.add({Cell::of(std::int64_t{-2}), Cell::of(std::string("=HYPERLINK(\"evil\")")),
                    Cell::of(std::string("line\nbreak")), Cell::of(std::vector<std::string>{})});
        answer.member("next_after", "null");
        return answer;
    }

public:
    void testAPageIsJsonInColumnOrderWithItsMembers() {
        const auto page = sample().answer(ListFormat::Page);
        CPPUNIT_ASSERT_EQUAL(std::string("application/json"), page.contentType);
        CPPUNIT_ASSERT(page.headers.empty());
        CPPUNIT_ASSERT_EQUAL(
            std::string(
                "{\"rows\":[{\"id\":1,\"name\":\"a,b\",\"note\":null,\"tags\":[\"x\",\"y\"]},"
                "{\"id\":-2,\"name\":\"=HYPERLINK(\\\"evil\\\")\",\"note\":\"line\\nbreak\","
                "\"tags\":[]}],\"next_after\":null}"),
            page.body);
        const auto download = sample().answer(ListFormat::Json);
        CPPUNIT_ASSERT_EQUAL(page.body, download.body);
        CPPUNIT_ASSERT_EQUAL(std::string("attachment; filename=\"sample.json\""),
                             download.headers.at("Content-Disposition"));
    }

    void testCsvQuotesWhatNeedsItAndDefusesFormulas() {
        const auto csv = sample().answer(ListFormat::Csv);
        CPPUNIT_ASSERT_EQUAL(std::string("text/csv; charset=utf-8"), csv.contentType);
        CPPUNIT_ASSERT_EQUAL(std::string("attachment; filename=\"sample.csv\""),
                             csv.headers.at("Content-Disposition"));
        CPPUNIT_ASSERT_EQUAL(std::string("id,name,note,tags\r\n"
                                         "1,\"a,b\",,x; y\r\n"
                                         "-2,\"'=HYPERLINK(\"\"evil\"\")\",\"line\nbreak\",\r\n"),
                             csv.body);
    }

    void testTheFormatParameterIsChecked() {
        ApiRequest request;
        CPPUNIT_ASSERT(listFormatOf(request) == ListFormat::Page);
        request.query["format"] = "csv";
        CPPUNIT_ASSERT(listFormatOf(request) == ListFormat::Csv);
        request.query["format"] = "json";
        CPPUNIT_ASSERT(listFormatOf(request) == ListFormat::Json);
        request.query["format"] = "xlsx";
        try {
            listFormatOf(request);
            CPPUNIT_FAIL("format=xlsx accepted");
        } catch (const ApiError& e) {
            CPPUNIT_ASSERT_EQUAL(400, e.status());
            CPPUNIT_ASSERT(std::string(e.what()).find("format='xlsx'") != std::string::npos);
        }
    }

    void testQueryParametersNameWhatIsWrong() {
        ApiRequest request;
        request.query = {{"limit", "500"}, {"since", "soon"}, {"name", " a.b, ,c.d "}};
        QueryParameters query(request);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{500}, query.integer("limit", 50, 1, 1000));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{50}, query.integer("after", 50, 1, 1000));
        CPPUNIT_ASSERT((query.list("name") == std::vector<std::string>{"a.b", "c.d"}));
        CPPUNIT_ASSERT_THROW_MESSAGE("since", query.integer("since"), ApiError);
        try {
            query.integer("limit", 50, 1, 100);
            CPPUNIT_FAIL("limit=500 accepted under 100");
        } catch (const ApiError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("query parameter limit=500 is outside 1..100"),
                                 std::string(e.what()));
        }
        const auto refused = answering([](const ApiRequest&) -> ApiResponse {
            throw ApiError(409, "changed", ",\"count\":3");
        })(request);
        CPPUNIT_ASSERT_EQUAL(409, refused.status);
        CPPUNIT_ASSERT_EQUAL(std::string("{\"error\":\"changed\",\"count\":3}"), refused.body);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ListAnswerTest);
