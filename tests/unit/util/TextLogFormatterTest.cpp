// TextLogFormatter (logging.format = text): one line per message, whatever its text holds.
#include "core/util/Logging.h"

#include <Poco/DateTime.h>
#include <Poco/Message.h>

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::TextLogFormatter;
using Poco::Message;

namespace {

std::string format(const std::string& source, const std::string& text) {
    Message m(source, text, Message::PRIO_WARNING);
    m.setTime(Poco::DateTime(2026, 11, 26, 3, 12, 45, 123).timestamp());
    std::string line;
    TextLogFormatter().format(m, line);
    return line;
}

} // namespace

class TextLogFormatterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(TextLogFormatterTest);
    CPPUNIT_TEST(testLineHasTimeLevelLoggerAndMessage);
    CPPUNIT_TEST(testLineBreakInTheTextCannotStartALine);
    CPPUNIT_TEST(testControlCharactersAndBadBytesAreEscaped);
    CPPUNIT_TEST(testValidUtf8IsKept);
    CPPUNIT_TEST(testLoggerNameIsEscapedToo);
    CPPUNIT_TEST_SUITE_END();

public:
    void testLineHasTimeLevelLoggerAndMessage() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("2026-11-26T03:12:45.123Z Warning [msgbus.inbox] consumer orders: away"),
            format("msgbus.inbox", "consumer orders: away"));
    }

    void testLineBreakInTheTextCannotStartALine() {
        const std::string line =
            format("msgbus.inbox", "a host stopped while running message id:x\nFORGED "
                                   "2026-11-26T03:12:45.123Z Error [msgbus.host] fake\r\n");
        CPPUNIT_ASSERT_MESSAGE(line, line.find_first_of("\r\n") == std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(line, line.find("id:x\\nFORGED 2026") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(line, line.find("fake\\r\\n") != std::string::npos);
    }

    void testControlCharactersAndBadBytesAreEscaped() {
        CPPUNIT_ASSERT_EQUAL(std::string("2026-11-26T03:12:45.123Z Warning [l] "
                                         "a\\tb\\x1b[31mred\\x00\\x7f\\xff\\xc3 end"),
                             format("l", std::string("a\tb\x1b[31mred\0\x7f\xff\xc3 end", 19)));
        // Line and paragraph separators and C1 controls (NEL) break lines in some viewers.
        CPPUNIT_ASSERT_EQUAL(std::string("2026-11-26T03:12:45.123Z Warning [l] "
                                         "\\u2028\\u2029\\u0085"),
                             format("l", "\xe2\x80\xa8\xe2\x80\xa9\xc2\x85"));
    }

    void testValidUtf8IsKept() {
        CPPUNIT_ASSERT_EQUAL(std::string("2026-11-26T03:12:45.123Z Warning [l] "
                                         "Bestellung f\xc3\xbcr \xe2\x82\xac 5 \xf0\x9f\x93\xa6"),
                             format("l", "Bestellung f\xc3\xbcr \xe2\x82\xac 5 \xf0\x9f\x93\xa6"));
    }

    void testLoggerNameIsEscapedToo() {
        // A plugin's logger is named after its id; no name may break the line either.
        const std::string line = format("msgbus.plugin.x\nFORGED", "text");
        CPPUNIT_ASSERT_EQUAL(
            std::string("2026-11-26T03:12:45.123Z Warning [msgbus.plugin.x\\nFORGED] text"), line);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TextLogFormatterTest);
