// OutboxRowEncoding: an outbox row as a Message, and as the relay publishes it (routed and
// serialized by the plugins, with the row's id as message_id whatever they did).
#include "core/outbox/OutboxRowEncoding.h"

#include <msgbus/Error.h>

#include <cppunit/extensions/HelperMacros.h>

using msgbus::FieldValue;
using msgbus::Id;
using msgbus::Message;
using msgbus::Route;
using msgbus::RoutingStrategy;
using msgbus::Serializer;
using msgbus::WireMessage;
using msgbus::core::encodeRow;
using msgbus::core::messageOf;
using msgbus::core::OutboxRow;
using msgbus::core::outgoingOf;
using msgbus::core::RowFailure;

namespace {

OutboxRow row() {
    OutboxRow r;
    r.seq = 17;
    r.name = "orders.PlaceOrder";
    r.body = "{\"order\":42}";
    r.headersJson = "{\"correlation-id\":\"order-42\",\"x-tenant\":\"eu\"}";
    r.createdAt = 1700000000123;
    r.partitionKey = "customer-7";
    return r;
}

// Writes what it sees of the message, and a message_id of its own (which the relay replaces).
class RecordingSerializer : public Serializer {
public:
    WireMessage encode(const Message& message) const override {
        WireMessage w;
        w.body = message.payload();
        w.properties.type = message.name();
        w.properties.messageId = "serializer-chose-this";
        for (const auto& [key, value] : message.headers())
            w.headers.push_back({key, FieldValue::ofString(value)});
        if (message.partitionKey())
            w.headers.push_back({"pk", FieldValue::ofString(*message.partitionKey())});
        return w;
    }
    Message decode(const WireMessage&) const override { throw std::logic_error("unused"); }
};

class ThrowingSerializer : public Serializer {
public:
    WireMessage encode(const Message&) const override {
        throw msgbus::MalformedMessage("body", "not a JSON object");
    }
    Message decode(const WireMessage&) const override { throw std::logic_error("unused"); }
};

class FixedRouting : public RoutingStrategy {
public:
    explicit FixedRouting(Route route) : _route(std::move(route)) {}
    Route route(const Message& message) const override {
        Route r = _route;
        r.routingKey += message.name();
        return r;
    }

private:
    Route _route;
};

class ThrowingRouting : public RoutingStrategy {
public:
    Route route(const Message& message) const override {
        throw std::runtime_error("no route for " + message.name());
    }
};

} // namespace

class OutboxRowEncodingTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OutboxRowEncodingTest);
    CPPUNIT_TEST(testMessageOfCarriesEveryColumn);
    CPPUNIT_TEST(testMessageOfWithoutPartitionKeyHasNone);
    CPPUNIT_TEST(testMessageOfRefusesHeadersThatAreNotStrings);
    CPPUNIT_TEST(testMessageOfRefusesHeadersThatAreNotJson);
    CPPUNIT_TEST(testMessageOfWithoutHeadersReadsABrokenRow);
    CPPUNIT_TEST(testOutgoingIsRoutedAndEchoesTheToken);
    CPPUNIT_TEST(testOutgoingMessageIdIsTheRowsId);
    CPPUNIT_TEST(testSerializerSeesTheRowsHeadersAndPartitionKey);
    CPPUNIT_TEST(testRouteHeadersAreAddedAndReplaceTheSerializers);
    CPPUNIT_TEST(testSerializerFailurePassesThrough);
    CPPUNIT_TEST(testRoutingFailurePassesThrough);
    CPPUNIT_TEST(testEncodeRowGivesTheMessageWhenThePluginsAgree);
    CPPUNIT_TEST(testAMalformedMessageIsAPermanentFailureOfItsRow);
    CPPUNIT_TEST(testAnyOtherPluginFailureIsTriedAgain);
    CPPUNIT_TEST_SUITE_END();

public:
    void testMessageOfCarriesEveryColumn() {
        const OutboxRow r = row();
        const Message m = messageOf(r);
        CPPUNIT_ASSERT(r.id == m.id());
        CPPUNIT_ASSERT_EQUAL(r.name, m.name());
        CPPUNIT_ASSERT_EQUAL(r.body, m.payload());
        CPPUNIT_ASSERT_EQUAL(r.createdAt, m.createdAt());
        CPPUNIT_ASSERT_EQUAL(std::string("customer-7"), *m.partitionKey());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), m.headers().size());
        CPPUNIT_ASSERT_EQUAL(std::string("order-42"), *m.header("correlation-id"));
        CPPUNIT_ASSERT_EQUAL(std::string("eu"), *m.header("x-tenant"));
    }

    void testMessageOfWithoutPartitionKeyHasNone() {
        OutboxRow r = row();
        r.partitionKey.reset();
        CPPUNIT_ASSERT(!messageOf(r).partitionKey());
        // An empty key is a key: it has a lane of its own.
        r.partitionKey = "";
        CPPUNIT_ASSERT(messageOf(r).partitionKey());
    }

    void testMessageOfRefusesHeadersThatAreNotStrings() {
        OutboxRow r = row();
        r.headersJson = "{\"attempt\":3}";
        CPPUNIT_ASSERT_THROW(messageOf(r), msgbus::InvalidArgument);
    }

    void testMessageOfRefusesHeadersThatAreNotJson() {
        OutboxRow r = row();
        r.headersJson = "{\"a\":";
        CPPUNIT_ASSERT_THROW(messageOf(r), msgbus::InvalidArgument);
        r.headersJson = "[\"a\"]";
        CPPUNIT_ASSERT_THROW(messageOf(r), msgbus::InvalidArgument);
    }

    void testMessageOfWithoutHeadersReadsABrokenRow() {
        // A row on its way to the failed table keeps what can be read.
        OutboxRow r = row();
        r.headersJson = "not json at all";
        const Message m = messageOf(r, false);
        CPPUNIT_ASSERT(m.headers().empty());
        CPPUNIT_ASSERT(r.id == m.id());
        CPPUNIT_ASSERT_EQUAL(r.body, m.payload());
    }

    void testOutgoingIsRoutedAndEchoesTheToken() {
        const RecordingSerializer serializer;
        const FixedRouting routing(Route{"orders", "orders.", {}});
        const auto out = outgoingOf(row(), serializer, routing, 99);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(99), out.token);
        CPPUNIT_ASSERT_EQUAL(std::string("orders"), out.exchange);
        CPPUNIT_ASSERT_EQUAL(std::string("orders.orders.PlaceOrder"), out.routingKey);
        CPPUNIT_ASSERT_EQUAL(std::string("{\"order\":42}"), out.wire.body);
        CPPUNIT_ASSERT_EQUAL(std::string("orders.PlaceOrder"), *out.wire.properties.type);
    }

    void testOutgoingMessageIdIsTheRowsId() {
        // The publisher matches a basic.return by message_id: it must be the row's.
        const RecordingSerializer serializer;
        const FixedRouting routing(Route{"orders", "", {}});
        const OutboxRow r = row();
        const auto out = outgoingOf(r, serializer, routing, 1);
        CPPUNIT_ASSERT_EQUAL(r.id.toString(), *out.wire.properties.messageId);
    }

    void testSerializerSeesTheRowsHeadersAndPartitionKey() {
        const RecordingSerializer serializer;
        const FixedRouting routing(Route{"orders", "", {}});
        const auto out = outgoingOf(row(), serializer, routing, 1);
        CPPUNIT_ASSERT(out.wire.header("correlation-id"));
        CPPUNIT_ASSERT_EQUAL(std::string("order-42"), out.wire.header("correlation-id")->text);
        CPPUNIT_ASSERT_EQUAL(std::string("customer-7"), out.wire.header("pk")->text);
    }

    void testRouteHeadersAreAddedAndReplaceTheSerializers() {
        const RecordingSerializer serializer;
        const FixedRouting routing(
            Route{"orders", "", {{"x-tenant", "us"}, {"x-route", "convention"}}});
        const auto out = outgoingOf(row(), serializer, routing, 1);
        CPPUNIT_ASSERT_EQUAL(std::string("us"), out.wire.header("x-tenant")->text);
        CPPUNIT_ASSERT(out.wire.header("x-tenant")->isString());
        CPPUNIT_ASSERT_EQUAL(std::string("convention"), out.wire.header("x-route")->text);
        std::size_t tenants = 0;
        for (const auto& entry : out.wire.headers)
            tenants += entry.key == "x-tenant";
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tenants);
    }

    void testSerializerFailurePassesThrough() {
        const ThrowingSerializer serializer;
        const FixedRouting routing(Route{"orders", "", {}});
        CPPUNIT_ASSERT_THROW(outgoingOf(row(), serializer, routing, 1), msgbus::MalformedMessage);
    }

    void testRoutingFailurePassesThrough() {
        const RecordingSerializer serializer;
        const ThrowingRouting routing;
        try {
            outgoingOf(row(), serializer, routing, 1);
            CPPUNIT_FAIL("routing failure was swallowed");
        } catch (const std::runtime_error& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("no route for orders.PlaceOrder"),
                                 std::string(e.what()));
        }
    }

    void testEncodeRowGivesTheMessageWhenThePluginsAgree() {
        const RecordingSerializer serializer;
        const FixedRouting routing(Route{"orders", "", {}});
        std::vector<RowFailure> failures;
        const auto out = encodeRow(row(), 7, serializer, routing, failures);
        CPPUNIT_ASSERT(out);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(7), out->token);
        CPPUNIT_ASSERT(failures.empty());
    }

    void testAMalformedMessageIsAPermanentFailureOfItsRow() {
        // Every attempt would meet the same message: no backoff, no outbox.max_attempts.
        const ThrowingSerializer serializer;
        const FixedRouting routing(Route{"orders", "", {}});
        std::vector<RowFailure> failures;
        CPPUNIT_ASSERT(!encodeRow(row(), 3, serializer, routing, failures));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), failures.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), failures[0].index);
        CPPUNIT_ASSERT(failures[0].permanent);
        CPPUNIT_ASSERT_MESSAGE(failures[0].error,
                               failures[0].error.find("not a JSON object") != std::string::npos);
    }

    void testAnyOtherPluginFailureIsTriedAgain() {
        const RecordingSerializer serializer;
        const ThrowingRouting routing;
        std::vector<RowFailure> failures;
        CPPUNIT_ASSERT(!encodeRow(row(), 0, serializer, routing, failures));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), failures.size());
        CPPUNIT_ASSERT(!failures[0].permanent);
        CPPUNIT_ASSERT_EQUAL(std::string("encode/route failed: no route for orders.PlaceOrder"),
                             failures[0].error);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OutboxRowEncodingTest);
