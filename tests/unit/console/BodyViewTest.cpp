// How the console shows bodies, headers and settings: pretty JSON token for token, hex dumps,
// masked headers, trace ids, CSV cells, listen addresses.
#include "core/console/BodyView.h"
#include "core/config/ConfigError.h"
#include "core/config/ConsoleSettings.h"
#include "core/console/CsvTable.h"
#include "core/console/HeaderView.h"
#include "core/console/MessageDetail.h"

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::ListenAddress;
using msgbus::core::console::BodyView;
using msgbus::core::console::CsvTable;
using msgbus::core::console::HeaderView;
using msgbus::core::console::traceIdOf;

class BodyViewTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BodyViewTest);
    CPPUNIT_TEST(testPrettyJsonKeepsEveryTokenAsWritten);
    CPPUNIT_TEST(testTextAndHexDump);
    CPPUNIT_TEST(testHeadersAreMaskedByNamePart);
    CPPUNIT_TEST(testTraceIdOfTraceparent);
    CPPUNIT_TEST(testCsvQuotesAndDefusesFormulas);
    CPPUNIT_TEST(testListenAddressParsing);
    CPPUNIT_TEST_SUITE_END();

public:
    void testPrettyJsonKeepsEveryTokenAsWritten() {
        CPPUNIT_ASSERT_EQUAL(
            std::string(
                "{\n  \"a\": 1.50,\n  \"b\": \"x,{y}:\\\"z\",\n  \"c\": [],\n  \"d\": {}\n}"),
            BodyView::pretty(R"({"a":1.50,"b":"x,{y}:\"z","c":[ ],"d":{}})"));
        const auto view = BodyView::of(R"([1, 2])");
        CPPUNIT_ASSERT_EQUAL(std::string("json"), view.kind);
        CPPUNIT_ASSERT_EQUAL(std::string("[\n  1,\n  2\n]"), view.text);
    }

    void testTextAndHexDump() {
        auto text = BodyView::of("plain text\nline two");
        CPPUNIT_ASSERT_EQUAL(std::string("text"), text.kind);
        CPPUNIT_ASSERT(!text.cut);
        auto hex = BodyView::of(std::string("ab\0cdefghijklmnopq", 18));
        CPPUNIT_ASSERT_EQUAL(std::string("hex"), hex.kind);
        const std::string expected = "00000000  61 62 00 63 64 65 66 67  68 69 6a 6b 6c 6d 6e 6f "
                                     " |ab.cdefghijklmno|\n00000010  70 71";
        CPPUNIT_ASSERT_EQUAL(expected, hex.text.substr(0, expected.size()));
    }

    void testHeadersAreMaskedByNamePart() {
        HeaderView view({"authorization", "token"});
        auto out = view.of(R"({"properties":{"message_id":"m1"},"headers":{"X-Auth-Token":)"
                           R"({"S":"secret"},"Authorization":{"S":"Bearer x"},"n":{"l":5},)"
                           R"("bin":{"x":"AAE="}}})");
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, out.properties.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t{4}, out.headers.size());
        CPPUNIT_ASSERT_EQUAL(std::string("***"), out.headers[0].second);
        CPPUNIT_ASSERT_EQUAL(std::string("***"), out.headers[1].second);
        CPPUNIT_ASSERT_EQUAL(std::string("5"), out.headers[2].second);
        CPPUNIT_ASSERT_EQUAL(std::string("(binary, base64) AAE="), out.headers[3].second);
        CPPUNIT_ASSERT_EQUAL(std::string("(unreadable)"), view.of("not json").headers[0].first);
    }

    void testTraceIdOfTraceparent() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("4bf92f3577b34da6a3ce929d0e0e4736"),
            traceIdOf("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").value());
        CPPUNIT_ASSERT(!traceIdOf("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
        CPPUNIT_ASSERT(!traceIdOf("garbage"));
    }

    void testCsvQuotesAndDefusesFormulas() {
        CsvTable csv({"a", "b"});
        csv.row().text("=1+2").text("x, \"y\"");
        csv.row().number(-5).text("-5");
        CPPUNIT_ASSERT_EQUAL(std::string("a,b\r\n'=1+2,\"x, \"\"y\"\"\"\r\n-5,'-5\r\n"),
                             csv.response("f").body);
    }

    void testListenAddressParsing() {
        CPPUNIT_ASSERT(ListenAddress::parse("127.0.0.1:8089", "k").loopback());
        CPPUNIT_ASSERT(ListenAddress::parse("[::1]:0", "k").loopback());
        CPPUNIT_ASSERT(ListenAddress::parse("localhost:1", "k").loopback());
        auto any = ListenAddress::parse("0.0.0.0:8089", "k");
        CPPUNIT_ASSERT(!any.loopback());
        CPPUNIT_ASSERT_EQUAL(8089, any.port);
        CPPUNIT_ASSERT_THROW(ListenAddress::parse("8089", "k"), msgbus::core::ConfigError);
        CPPUNIT_ASSERT_THROW(ListenAddress::parse("h:99999", "k"), msgbus::core::ConfigError);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BodyViewTest);
