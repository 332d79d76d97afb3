// JsonLogFormatter: one JSON object per log line (logging.format = json), always parseable.
#include "core/util/Logging.h"

#include <msgbus/internal/Json.h>

#include <Poco/DateTime.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Message.h>

#include <cppunit/extensions/HelperMacros.h>

using msgbus::core::JsonLogFormatter;
using msgbus::core::LogFields;
using Poco::Message;

namespace {

Message message(const std::string& text, Message::Priority priority = Message::PRIO_WARNING) {
    Message m("msgbus.inbox", text, priority);
    // 2026-11-26T03:12:45.123Z
    m.setTime(Poco::DateTime(2026, 11, 26, 3, 12, 45, 123).timestamp());
    return m;
}

std::string format(const Message& m) {
    std::string text;
    JsonLogFormatter().format(m, text);
    return text;
}

Poco::JSON::Object::Ptr parse(const std::string& text) {
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

} // namespace

class LoggingTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LoggingTest);
    CPPUNIT_TEST(testLineHasTimeLevelLoggerAndMessageInThatOrder);
    CPPUNIT_TEST(testEveryPriorityHasItsLevelName);
    CPPUNIT_TEST(testNamedFieldsAreAddedWhenSet);
    CPPUNIT_TEST(testOtherParametersAreLeftOut);
    CPPUNIT_TEST(testQuotesAndNewlinesAreEscaped);
    CPPUNIT_TEST(testBytesThatAreNotUtf8BecomeReplacementCharacters);
    CPPUNIT_TEST(testFormatAppendsToWhatTheTextHolds);
    CPPUNIT_TEST_SUITE_END();

public:
    void testLineHasTimeLevelLoggerAndMessageInThatOrder() {
        CPPUNIT_ASSERT_EQUAL(std::string("{\"time\":\"2026-11-26T03:12:45.123Z\",\"level\":"
                                         "\"warning\",\"logger\":\"msgbus.inbox\",\"message\":"
                                         "\"consumer orders: broker away\"}"),
                             format(message("consumer orders: broker away")));
    }

    void testEveryPriorityHasItsLevelName() {
        const std::pair<Message::Priority, const char*> levels[] = {
            {Message::PRIO_FATAL, "fatal"},   {Message::PRIO_CRITICAL, "critical"},
            {Message::PRIO_ERROR, "error"},   {Message::PRIO_WARNING, "warning"},
            {Message::PRIO_NOTICE, "notice"}, {Message::PRIO_INFORMATION, "information"},
            {Message::PRIO_DEBUG, "debug"},   {Message::PRIO_TRACE, "trace"}};
        for (const auto& [priority, name] : levels)
            CPPUNIT_ASSERT_EQUAL(
                std::string(name),
                parse(format(message("m", priority)))->getValue<std::string>("level"));
    }

    void testNamedFieldsAreAddedWhenSet() {
        Message m = message("handled");
        // Set out of order: the line keeps one fixed order for log shippers.
        m.set(LogFields::traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
        m.set(LogFields::messageName, "orders.PlaceOrder");
        m.set(LogFields::consumer, "orders");
        m.set(LogFields::messageId, "0190a6f2-3b4c-7d5e-8f60-1a2b3c4d5e6f");
        const std::string text = format(m);
        CPPUNIT_ASSERT(text.find(",\"message\":\"handled\",\"consumer\":\"orders\",\"message_id\":"
                                 "\"0190a6f2-3b4c-7d5e-8f60-1a2b3c4d5e6f\",\"message_name\":"
                                 "\"orders.PlaceOrder\",\"trace_id\":"
                                 "\"4bf92f3577b34da6a3ce929d0e0e4736\"}") != std::string::npos);
        const auto o = parse(text);
        CPPUNIT_ASSERT_EQUAL(std::size_t(8), o->size());
    }

    void testOtherParametersAreLeftOut() {
        Message m = message("m");
        m.set(LogFields::consumer, "orders");
        m.set("password", "hunter2");
        const auto o = parse(format(m));
        CPPUNIT_ASSERT_EQUAL(std::string("orders"), o->getValue<std::string>("consumer"));
        CPPUNIT_ASSERT(!o->has("password"));
        CPPUNIT_ASSERT(!o->has("message_id"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), o->size());
    }

    void testQuotesAndNewlinesAreEscaped() {
        const std::string text = "handler said \"no\"\nat line 2\t\\ done";
        const std::string line = format(message(text));
        CPPUNIT_ASSERT(line.find('\n') == std::string::npos); // one line per record
        CPPUNIT_ASSERT_EQUAL(text, parse(line)->getValue<std::string>("message"));
    }

    void testBytesThatAreNotUtf8BecomeReplacementCharacters() {
        Message m = message(std::string("id \xff\xfe end"));
        m.set(LogFields::messageId, std::string("\x80", 1));
        const std::string line = format(m);
        CPPUNIT_ASSERT(msgbus::json::isValidUtf8(line));
        const auto o = parse(line);
        CPPUNIT_ASSERT_EQUAL(std::string("id \xef\xbf\xbd\xef\xbf\xbd end"),
                             o->getValue<std::string>("message"));
        CPPUNIT_ASSERT_EQUAL(std::string("\xef\xbf\xbd"), o->getValue<std::string>("message_id"));
    }

    void testFormatAppendsToWhatTheTextHolds() {
        std::string text = "prefix ";
        JsonLogFormatter().format(message("m"), text);
        CPPUNIT_ASSERT_EQUAL(std::string("prefix {\"time\":"), text.substr(0, 15));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LoggingTest);
