// The relay's publish spans: a traced row gets a PRODUCER span under its context, and its
// message leaves with that span as parent; untraced rows pass unchanged.
#include "core/outbox/PublishSpans.h"
#include "core/tracing/TraceContext.h"

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus;
using namespace msgbus::core;

class PublishSpansTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PublishSpansTest);
    CPPUNIT_TEST(testATracedRowGetsAChildSpanAndCarriesItOn);
    CPPUNIT_TEST(testUntracedAndMalformedContextsStartNothing);
    CPPUNIT_TEST(testOnlyConfirmedRowsSpansAreFinished);
    CPPUNIT_TEST(testSpanNamesItsRoute);
    CPPUNIT_TEST_SUITE_END();

    const std::string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const std::string producer = "00f067aa0ba902b7";

    OutboxRow row(std::int64_t seq) {
        OutboxRow r;
        r.seq = seq;
        r.name = "order.placed";
        return r;
    }

    amqp::OutgoingMessage message(const std::string& traceparent) {
        amqp::OutgoingMessage m;
        m.exchange = "orders";
        m.routingKey = "order.placed";
        if (!traceparent.empty())
            setField(m.wire.headers, "traceparent", FieldValue::ofString(traceparent));
        return m;
    }

public:
    void testATracedRowGetsAChildSpanAndCarriesItOn() {
        PublishSpans spans;
        auto m = message("00-" + traceId + "-" + producer + "-01");
        spans.start(row(7), 0, m);
        CPPUNIT_ASSERT(!spans.empty());
        auto finished = spans.finish({row(7)}, {7});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), finished.size());
        const Span& span = finished[0];
        CPPUNIT_ASSERT_EQUAL(traceId, span.traceId);
        CPPUNIT_ASSERT_EQUAL(producer, span.parentSpanId);
        CPPUNIT_ASSERT_EQUAL(4, span.kind);
        CPPUNIT_ASSERT_EQUAL(std::string("publish order.placed"), span.name);
        CPPUNIT_ASSERT(span.endUnixNanos >= span.startUnixNanos);
        // The message now names the publish span as its parent, flags kept.
        auto carried = TraceParent::parse(m.wire.header("traceparent")->text);
        CPPUNIT_ASSERT(carried);
        CPPUNIT_ASSERT_EQUAL(traceId, carried->traceId);
        CPPUNIT_ASSERT_EQUAL(span.spanId, carried->parentId);
        CPPUNIT_ASSERT_EQUAL(std::string("01"), carried->flags);
    }

    void testUntracedAndMalformedContextsStartNothing() {
        PublishSpans spans;
        auto plain = message("");
        spans.start(row(1), 0, plain);
        auto broken = message("00-zz-" + producer + "-01");
        spans.start(row(2), 1, broken);
        CPPUNIT_ASSERT(spans.empty());
        CPPUNIT_ASSERT(!plain.wire.header("traceparent"));
        CPPUNIT_ASSERT_EQUAL(std::string("00-zz-" + producer + "-01"),
                             broken.wire.header("traceparent")->text);
    }

    void testOnlyConfirmedRowsSpansAreFinished() {
        PublishSpans spans;
        std::vector<amqp::OutgoingMessage> messages;
        for (int i = 0; i < 3; ++i)
            messages.push_back(message("00-" + traceId + "-" + producer + "-01"));
        const std::vector<OutboxRow> batch{row(1), row(2), row(3)};
        for (std::size_t i = 0; i < 3; ++i)
            spans.start(batch[i], i, messages[i]);
        auto finished = spans.finish(batch, {1, 3});
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), finished.size());
        CPPUNIT_ASSERT(spans.empty()); // the unconfirmed one starts anew when republished
        CPPUNIT_ASSERT(finished[0].spanId != finished[1].spanId);
    }

    void testSpanNamesItsRoute() {
        PublishSpans spans;
        auto m = message("00-" + traceId + "-" + producer + "-00");
        auto r = row(5);
        r.attempts = 2;
        spans.start(r, 0, m);
        auto span = spans.finish({r}, {5}).at(0);
        CPPUNIT_ASSERT_EQUAL(std::string("orders"), span.attributes["messaging.destination.name"]);
        CPPUNIT_ASSERT_EQUAL(std::string("order.placed"),
                             span.attributes["messaging.rabbitmq.destination.routing_key"]);
        CPPUNIT_ASSERT_EQUAL(std::string("3"), span.attributes["msgbus.attempt"]);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PublishSpansTest);
