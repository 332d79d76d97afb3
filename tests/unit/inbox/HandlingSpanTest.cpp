// HandlingSpan: the span of one handling of a traced message, a child of its traceparent.
#include "core/inbox/HandlingSpan.h"

#include <cppunit/extensions/HelperMacros.h>

using msgbus::Id;
using msgbus::WireMessage;
using msgbus::core::HandlingSpan;
using msgbus::core::InboxItem;
using msgbus::core::PreparedMessage;
using msgbus::core::ProcessResult;

namespace {

const char* const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const char* const idText = "0190a6f2-3b4c-7d5e-8f60-1a2b3c4d5e6f";

struct Handled {
    Handled() : item(&wire, 2) {
        p.item = &item;
        p.message.emplace("order.placed", "{}");
        p.message->setId(Id::parse(idText));
        p.message->setHeader("traceparent", traceparent);
        p.spanId = "b7ad6b7169203331";
        p.startNanos = 1000;
        p.endNanos = 5000;
    }
    WireMessage wire;
    InboxItem item;
    PreparedMessage p;
};

} // namespace

class HandlingSpanTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(HandlingSpanTest);
    CPPUNIT_TEST(testHandlingIsAChildSpanOfTheMessagesTraceparent);
    CPPUNIT_TEST(testFailedHandlingIsAnErrorSpan);
    CPPUNIT_TEST(testRunWhoseEndWasNotNotedEndsNow);
    CPPUNIT_TEST(testNoSpanWithoutASpanIdOrAValidTraceparent);
    CPPUNIT_TEST_SUITE_END();

public:
    void testHandlingIsAChildSpanOfTheMessagesTraceparent() {
        Handled h;
        const auto span = HandlingSpan::of(h.p, "orders", 9999);
        CPPUNIT_ASSERT(span);
        CPPUNIT_ASSERT_EQUAL(std::string("4bf92f3577b34da6a3ce929d0e0e4736"), span->traceId);
        CPPUNIT_ASSERT_EQUAL(std::string("00f067aa0ba902b7"), span->parentSpanId);
        CPPUNIT_ASSERT_EQUAL(std::string("b7ad6b7169203331"), span->spanId);
        CPPUNIT_ASSERT_EQUAL(std::string("handle order.placed"), span->name);
        CPPUNIT_ASSERT_EQUAL(5, span->kind);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1000), span->startUnixNanos);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(5000), span->endUnixNanos);
        CPPUNIT_ASSERT_EQUAL(std::string("orders"),
                             span->attributes.at("messaging.consumer.group.name"));
        CPPUNIT_ASSERT_EQUAL(std::string(idText), span->attributes.at("messaging.message.id"));
        CPPUNIT_ASSERT_EQUAL(std::string("2"), span->attributes.at("msgbus.attempt"));
        CPPUNIT_ASSERT(span->error.empty());
    }

    void testFailedHandlingIsAnErrorSpan() {
        Handled h;
        h.p.result = ProcessResult::Retry;
        h.p.error = "HandlerFailed: orders/PlaceOrder: boom";
        CPPUNIT_ASSERT_EQUAL(h.p.error, HandlingSpan::of(h.p, "orders", 9999)->error);
    }

    void testRunWhoseEndWasNotNotedEndsNow() {
        Handled h;
        h.p.endNanos = 0;
        CPPUNIT_ASSERT_EQUAL(std::int64_t(9999),
                             HandlingSpan::of(h.p, "orders", 9999)->endUnixNanos);
    }

    void testNoSpanWithoutASpanIdOrAValidTraceparent() {
        Handled untraced;
        untraced.p.spanId.clear();
        CPPUNIT_ASSERT(!HandlingSpan::of(untraced.p, "orders", 9999));
        Handled garbled;
        garbled.p.message->setHeader("traceparent", "01-not-a-trace");
        CPPUNIT_ASSERT(!HandlingSpan::of(garbled.p, "orders", 9999));
        Handled undecoded;
        undecoded.p.message.reset();
        CPPUNIT_ASSERT(!HandlingSpan::of(undecoded.p, "orders", 9999));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HandlingSpanTest);
