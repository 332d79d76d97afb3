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
};

CPPUNIT_TEST_SUITE_REGISTRATION(TraceContextTest);
