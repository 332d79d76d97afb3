// OutcomeLog: the log line of each committed outcome, with the fields of the JSON log format.
#include "core/inbox/OutcomeLog.h"
#include "support/CapturingChannel.h"

#include "core/util/Logging.h"

#include <Poco/AutoPtr.h>
#include <Poco/Logger.h>
#include <cppunit/extensions/HelperMacros.h>

#include <vector>

using msgbus::FieldValue;
using msgbus::Id;
using msgbus::WireMessage;
using msgbus::core::InboxItem;
using msgbus::core::LogFields;
using msgbus::core::OutcomeLog;
using msgbus::core::PreparedMessage;
using msgbus::core::ProcessResult;

namespace {

const char* const idText = "0190a6f2-3b4c-7d5e-8f60-1a2b3c4d5e6f";

using msgbus::test::CapturingChannel;

struct Outcome {
    Outcome(ProcessResult result, std::string error) : item(&wire, 3) {
        wire.headers.push_back({"x-message-id", FieldValue::ofString(idText)});
        p.item = &item;
        p.message.emplace("order.placed", "{}");
        p.message->setId(Id::parse(idText));
        p.message->setHeader("traceparent",
                             "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        p.result = result;
        p.error = std::move(error);
    }
    WireMessage wire;
    InboxItem item;
    PreparedMessage p;
};

} // namespace

class OutcomeLogTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OutcomeLogTest);
    CPPUNIT_TEST(testRetryIsAWarningWithTheMessageFields);
    CPPUNIT_TEST(testFailedIsAnErrorAndAnUndecodedMessageKeepsItsWireIdentity);
    CPPUNIT_TEST(testHandledDuplicateAndGivenBackAreNotLogged);
    CPPUNIT_TEST(testWriteSendsTheLineToTheLogger);
    CPPUNIT_TEST_SUITE_END();

public:
    void testRetryIsAWarningWithTheMessageFields() {
        OutcomeLog log(Poco::Logger::get("test.outcome"), "orders");
        Outcome o(ProcessResult::Retry, "HandlerFailed: orders/PlaceOrder: boom");
        const auto line = log.lineFor(o.p);
        CPPUNIT_ASSERT(line);
        CPPUNIT_ASSERT_EQUAL(Poco::Message::PRIO_WARNING, line->getPriority());
        CPPUNIT_ASSERT_EQUAL(std::string("consumer orders: message ") + idText +
                                 " (order.placed) attempt 3 failed, will be retried: "
                                 "HandlerFailed: orders/PlaceOrder: boom",
                             line->getText());
        CPPUNIT_ASSERT_EQUAL(std::string("orders"), line->get(LogFields::consumer));
        CPPUNIT_ASSERT_EQUAL(std::string(idText), line->get(LogFields::messageId));
        CPPUNIT_ASSERT_EQUAL(std::string("order.placed"), line->get(LogFields::messageName));
        CPPUNIT_ASSERT_EQUAL(std::string("4bf92f3577b34da6a3ce929d0e0e4736"),
                             line->get(LogFields::traceId));
    }

    void testFailedIsAnErrorAndAnUndecodedMessageKeepsItsWireIdentity() {
        OutcomeLog log(Poco::Logger::get("test.outcome"), "orders");
        Outcome o(ProcessResult::Failed, "MalformedMessage: body: not JSON");
        o.p.message.reset();
        const auto line = log.lineFor(o.p);
        CPPUNIT_ASSERT_EQUAL(Poco::Message::PRIO_ERROR, line->getPriority());
        CPPUNIT_ASSERT_EQUAL(std::string("consumer orders: message ") + idText +
                                 " (<no name>) moved to the failed table: MalformedMessage: "
                                 "body: not JSON",
                             line->getText());
        CPPUNIT_ASSERT_EQUAL(std::string(idText), line->get(LogFields::messageId));
        CPPUNIT_ASSERT(!line->has(LogFields::messageName));
        CPPUNIT_ASSERT(!line->has(LogFields::traceId));
    }

    void testHandledDuplicateAndGivenBackAreNotLogged() {
        OutcomeLog log(Poco::Logger::get("test.outcome"), "orders");
        for (auto result : {ProcessResult::Handled, ProcessResult::Duplicate,
                            ProcessResult::Requeue, ProcessResult::RequeueSuspect}) {
            Outcome o(result, "");
            CPPUNIT_ASSERT(!log.lineFor(o.p));
        }
    }

    void testWriteSendsTheLineToTheLogger() {
        Poco::Logger& logger = Poco::Logger::get("test.outcome.write");
        Poco::AutoPtr<CapturingChannel> channel(new CapturingChannel);
        logger.setChannel(channel);
        logger.setLevel(Poco::Message::PRIO_INFORMATION);
        OutcomeLog log(logger, "orders");
        log.write(Outcome(ProcessResult::Handled, "").p);
        log.write(Outcome(ProcessResult::Failed, "RedeliveryLimit: delivered 7 times").p);
        logger.setLevel(Poco::Message::PRIO_CRITICAL);
        log.write(Outcome(ProcessResult::Retry, "HandlerFailed: boom").p);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), channel->lines.size());
        CPPUNIT_ASSERT_EQUAL(Poco::Message::PRIO_ERROR, channel->lines[0].getPriority());
        logger.setChannel(nullptr);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OutcomeLogTest);
