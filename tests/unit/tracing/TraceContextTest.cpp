// Trace context and correlation that a handler's published messages inherit from their cause,
// without a database or broker.
#include "core/tracing/TraceContext.h"

#include <cppunit/extensions/HelperMacros.h>

using msgbus::Id;
using msgbus::Message;
using msgbus::core::inheritContext;
using msgbus::core::TraceParent;

namespace {

const std::string parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

Message cause() {
    Message m("order.placed", "{}");
    m.setId(Id::generate());
    return m;
}

} // namespace

class TraceContextTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(TraceContextTest);
    CPPUNIT_TEST(testParsesAValidTraceparent);
    CPPUNIT_TEST(testRefusesMalformedTraceparents);
    CPPUNIT_TEST(testChildKeepsTheTraceWithANewSpan);
    CPPUNIT_TEST(testEffectInheritsTraceAndCorrelation);
    CPPUNIT_TEST(testCorrelationStartsAtTheCauseAndHandlerHeadersWin);
    CPPUNIT_TEST(testRefusesBadParentIdsAndFlags);
    CPPUNIT_TEST(testRefusesMisplacedSeparators);
    CPPUNIT_TEST(testAnyTwoHexDigitFlagsAreKept);
    CPPUNIT_TEST(testChildWithAGivenSpanIdUsesIt);
    CPPUNIT_TEST(testEffectChildsParentIsTheGivenSpan);
    CPPUNIT_TEST(testTracestateIsNotCopiedWithoutAValidTraceparent);
    CPPUNIT_TEST(testHandlersOwnTracestateIsKept);
    CPPUNIT_TEST(testCauseWithoutIdAddsNoCausation);
    CPPUNIT_TEST(testTraceIdOfReadsOnlyAValidTraceparent);
    CPPUNIT_TEST_SUITE_END();

public:
    void testParsesAValidTraceparent() {
        auto parsed = TraceParent::parse(parent);
        CPPUNIT_ASSERT(parsed);
        CPPUNIT_ASSERT_EQUAL(std::string("4bf92f3577b34da6a3ce929d0e0e4736"), parsed->traceId);
        CPPUNIT_ASSERT_EQUAL(std::string("00f067aa0ba902b7"), parsed->parentId);
        CPPUNIT_ASSERT_EQUAL(std::string("01"), parsed->flags);
    }

    void testRefusesMalformedTraceparents() {
        for (const std::string& bad :
             {std::string(""), std::string("garbage"),
              std::string("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
              std::string("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
              std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"),
              std::string("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"),
              std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")})
            CPPUNIT_ASSERT_MESSAGE(bad, !TraceParent::parse(bad));
    }

    void testChildKeepsTheTraceWithANewSpan() {
        auto parsed = TraceParent::parse(parent);
        const std::string child = parsed->child();
        auto again = TraceParent::parse(child);
        CPPUNIT_ASSERT_MESSAGE(child, again);
        CPPUNIT_ASSERT_EQUAL(parsed->traceId, again->traceId);
        CPPUNIT_ASSERT_EQUAL(parsed->flags, again->flags);
        CPPUNIT_ASSERT(again->parentId != parsed->parentId);
        CPPUNIT_ASSERT(parsed->child() != child);
    }

    void testEffectInheritsTraceAndCorrelation() {
        Message from = cause();
        from.setHeader("traceparent", parent);
        from.setHeader("tracestate", "vendor=abc");
        from.setHeader("correlation-id", "order-42");
        Message effect("order.confirmed", "{}");
        inheritContext(from, effect);
        auto child = TraceParent::parse(effect.header("traceparent").value_or(""));
        CPPUNIT_ASSERT(child);
        CPPUNIT_ASSERT_EQUAL(std::string("4bf92f3577b34da6a3ce929d0e0e4736"), child->traceId);
        CPPUNIT_ASSERT_EQUAL(std::string("vendor=abc"), *effect.header("tracestate"));
        CPPUNIT_ASSERT_EQUAL(std::string("order-42"), *effect.header("correlation-id"));
        CPPUNIT_ASSERT_EQUAL(from.id().toString(), *effect.header("causation-id"));
    }

    void testCorrelationStartsAtTheCauseAndHandlerHeadersWin() {
        Message from = cause();
        from.setHeader("traceparent", "not a traceparent");
        Message effect("order.confirmed", "{}");
        inheritContext(from, effect);
        CPPUNIT_ASSERT(!effect.header("traceparent")); // nothing to continue
        CPPUNIT_ASSERT_EQUAL(from.id().toString(), *effect.header("correlation-id"));

        Message own("order.confirmed", "{}");
        own.setHeader("correlation-id", "mine");
        own.setHeader("causation-id", "also mine");
        own.setHeader("traceparent", parent);
        Message traced = cause();
        traced.setHeader("traceparent", "00-11111111111111111111111111111111-2222222222222222-00");
        inheritContext(traced, own);
        CPPUNIT_ASSERT_EQUAL(std::string("mine"), *own.header("correlation-id"));
        CPPUNIT_ASSERT_EQUAL(std::string("also mine"), *own.header("causation-id"));
        CPPUNIT_ASSERT_EQUAL(parent, *own.header("traceparent"));
    }

    void testRefusesBadParentIdsAndFlags() {
        for (const std::string& bad :
             {std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01"),
              std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bg-01"),
              std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g"),
              std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-FF"),
              std::string("00-4bf92f3577b34da6a3ce929d0e0e473z-00f067aa0ba902b7-01")})
            CPPUNIT_ASSERT_MESSAGE(bad, !TraceParent::parse(bad));
    }

    void testRefusesMisplacedSeparators() {
        for (const std::string& bad :
             {std::string("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
              std::string("00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01"),
              std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01"),
              // Right length, dashes shifted by one.
              std::string("00-4bf92f3577b34da6a3ce929d0e0e47360-0f067aa0ba902b7-01"),
              std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1")})
            CPPUNIT_ASSERT_MESSAGE(bad, !TraceParent::parse(bad));
    }

    void testAnyTwoHexDigitFlagsAreKept() {
        for (const std::string& flags : {std::string("00"), std::string("ff"), std::string("a3")}) {
            auto parsed =
                TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-" + flags);
            CPPUNIT_ASSERT_MESSAGE(flags, parsed);
            CPPUNIT_ASSERT_EQUAL(flags, parsed->flags);
            CPPUNIT_ASSERT(parsed->child().substr(53) == flags);
        }
    }

    void testChildWithAGivenSpanIdUsesIt() {
        CPPUNIT_ASSERT_EQUAL(std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01"),
                             TraceParent::parse(parent)->child("b7ad6b7169203331"));
    }

    void testEffectChildsParentIsTheGivenSpan() {
        Message from = cause();
        from.setHeader("traceparent", parent);
        Message effect("order.confirmed", "{}");
        inheritContext(from, effect, "b7ad6b7169203331");
        CPPUNIT_ASSERT_EQUAL(std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01"),
                             *effect.header("traceparent"));
    }

    void testTracestateIsNotCopiedWithoutAValidTraceparent() {
        Message from = cause();
        from.setHeader("traceparent", "00-zz");
        from.setHeader("tracestate", "vendor=abc");
        Message effect("order.confirmed", "{}");
        inheritContext(from, effect);
        CPPUNIT_ASSERT(!effect.header("traceparent"));
        CPPUNIT_ASSERT(!effect.header("tracestate"));
    }

    void testHandlersOwnTracestateIsKept() {
        Message from = cause();
        from.setHeader("traceparent", parent);
        from.setHeader("tracestate", "vendor=cause");
        Message effect("order.confirmed", "{}");
        effect.setHeader("tracestate", "vendor=mine");
        inheritContext(from, effect);
        CPPUNIT_ASSERT(effect.header("traceparent"));
        CPPUNIT_ASSERT_EQUAL(std::string("vendor=mine"), *effect.header("tracestate"));
    }

    void testCauseWithoutIdAddsNoCausation() {
        Message from("order.placed", "{}");
        Message effect("order.confirmed", "{}");
        inheritContext(from, effect);
        CPPUNIT_ASSERT(!effect.header("causation-id"));
        CPPUNIT_ASSERT(!effect.header("correlation-id"));
        from.setHeader("correlation-id", "conversation-1");
        inheritContext(from, effect);
        CPPUNIT_ASSERT_EQUAL(std::string("conversation-1"), *effect.header("correlation-id"));
        CPPUNIT_ASSERT(!effect.header("causation-id"));
    }

    void testTraceIdOfReadsOnlyAValidTraceparent() {
        Message m("order.placed", "{}");
        CPPUNIT_ASSERT_EQUAL(std::string(), msgbus::core::traceIdOf(m));
        m.setHeader("traceparent", "garbage");
        CPPUNIT_ASSERT_EQUAL(std::string(), msgbus::core::traceIdOf(m));
        m.setHeader("traceparent", parent);
        CPPUNIT_ASSERT_EQUAL(std::string("4bf92f3577b34da6a3ce929d0e0e4736"),
                             msgbus::core::traceIdOf(m));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TraceContextTest);
