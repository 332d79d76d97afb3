#include "plugins/routing/ConventionRouting.h"

#include <msgbus/Error.h>

#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

using msgbus::Message;
using msgbus::Route;
using msgbus::plugins::ConventionRouting;

namespace {

using Config = Poco::AutoPtr<Poco::Util::MapConfiguration>;

Config config(const std::map<std::string, std::string>& values) {
    Config c(new Poco::Util::MapConfiguration);
    for (const auto& [key, value] : values)
        c->setString(key, value);
    return c;
}

ConventionRouting routing(const std::map<std::string, std::string>& values = {}) {
    ConventionRouting r;
    r.configure(*config(values));
    return r;
}

Route routeOf(const ConventionRouting& r, const std::string& name) {
    return r.route(Message(name, "{}"));
}

Route route(std::string exchange, std::string routingKey) {
    Route r;
    r.exchange = std::move(exchange);
    r.routingKey = std::move(routingKey);
    return r;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// The message of the InvalidArgument configure() must throw.
std::string refused(const std::map<std::string, std::string>& values) {
    ConventionRouting r;
    try {
        r.configure(*config(values));
    } catch (const msgbus::InvalidArgument& e) {
        return e.what();
    }
    CPPUNIT_FAIL("expected msgbus::InvalidArgument");
    return {};
}

} // namespace

class ConventionRoutingTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConventionRoutingTest);
    CPPUNIT_TEST(testRoutingKeyIsTheFullName);
    CPPUNIT_TEST(testExchangeIsTheFirstTwoSegmentsByConvention);
    CPPUNIT_TEST(testUnconfiguredInstanceUsesTheConvention);
    CPPUNIT_TEST(testConfiguredExchangeIsUsedForEveryName);
    CPPUNIT_TEST(testOverrideReplacesTheExchangeForOneName);
    CPPUNIT_TEST(testOverrideReplacesTheRoutingKeyForOneName);
    CPPUNIT_TEST(testOverrideBeatsTheConfiguredExchange);
    CPPUNIT_TEST(testOverrideNameMayHaveManySegments);
    CPPUNIT_TEST(testNoExtraHeadersAreAdded);
    CPPUNIT_TEST(testInvalidOverrideNameIsRejectedNamingTheKey);
    CPPUNIT_TEST(testUnknownOverrideSubKeyIsRejectedNamingTheKey);
    CPPUNIT_TEST(testUnknownKeyIsRejectedNamingTheKey);
    CPPUNIT_TEST(testEmptyValuesAreRejected);
    CPPUNIT_TEST(testExchangeNameRabbitMqWouldRefuseIsRejected);
    CPPUNIT_TEST(testRoutingKeyLongerThan255BytesIsRejected);
    CPPUNIT_TEST(testRefusedConfigurationKeepsThePreviousRoutes);
    CPPUNIT_TEST(testInvalidMessageNameIsMalformed);
    CPPUNIT_TEST(testRouteIsSafeConcurrently);
    CPPUNIT_TEST_SUITE_END();

public:
    void testRoutingKeyIsTheFullName() {
        CPPUNIT_ASSERT_EQUAL(std::string("billing.invoice.paid"),
                             routeOf(routing(), "billing.invoice.paid").routingKey);
        CPPUNIT_ASSERT_EQUAL(std::string("order.placed"),
                             routeOf(routing({{"exchange", "events"}}), "order.placed").routingKey);
    }

    void testExchangeIsTheFirstTwoSegmentsByConvention() {
        ConventionRouting r = routing();
        CPPUNIT_ASSERT(route("billing.invoice", "billing.invoice.paid") ==
                       routeOf(r, "billing.invoice.paid"));
        CPPUNIT_ASSERT(route("order.placed", "order.placed") == routeOf(r, "order.placed"));
        CPPUNIT_ASSERT(route("a.b", "a.b.c.d") == routeOf(r, "a.b.c.d"));
    }

    void testUnconfiguredInstanceUsesTheConvention() {
        ConventionRouting r;
        CPPUNIT_ASSERT(route("billing.invoice", "billing.invoice.paid") ==
                       r.route(Message("billing.invoice.paid", "{}")));
    }

    void testConfiguredExchangeIsUsedForEveryName() {
        ConventionRouting r = routing({{"exchange", "msgbus.events"}});
        CPPUNIT_ASSERT(route("msgbus.events", "billing.invoice.paid") ==
                       routeOf(r, "billing.invoice.paid"));
        CPPUNIT_ASSERT(route("msgbus.events", "order.placed") == routeOf(r, "order.placed"));
    }

    void testOverrideReplacesTheExchangeForOneName() {
        ConventionRouting r = routing({{"route.order.placed.exchange", "orders"}});
        CPPUNIT_ASSERT(route("orders", "order.placed") == routeOf(r, "order.placed"));
        CPPUNIT_ASSERT(route("order.shipped", "order.shipped") == routeOf(r, "order.shipped"));
    }

    void testOverrideReplacesTheRoutingKeyForOneName() {
        ConventionRouting r = routing({{"route.order.placed.routing_key", "orders.new"}});
        CPPUNIT_ASSERT(route("order.placed", "orders.new") == routeOf(r, "order.placed"));
        CPPUNIT_ASSERT(route("order.shipped", "order.shipped") == routeOf(r, "order.shipped"));
    }

    void testOverrideBeatsTheConfiguredExchange() {
        ConventionRouting r = routing({{"exchange", "events"},
                                       {"route.order.placed.exchange", "legacy"},
                                       {"route.order.placed.routing_key", "placed"}});
        CPPUNIT_ASSERT(route("legacy", "placed") == routeOf(r, "order.placed"));
        CPPUNIT_ASSERT(route("events", "order.shipped") == routeOf(r, "order.shipped"));
    }

    void testOverrideNameMayHaveManySegments() {
        // The name spans several levels of the key tree; a shorter name sharing its first
        // segments keeps its own route.
        ConventionRouting r = routing({{"route.billing.invoice.paid.exchange", "payments"},
                                       {"route.billing.invoice.routing_key", "invoice.any"},
                                       {"route.a.exchange.exchange", "x"}});
        CPPUNIT_ASSERT(route("payments", "billing.invoice.paid") ==
                       routeOf(r, "billing.invoice.paid"));
        CPPUNIT_ASSERT(route("billing.invoice", "invoice.any") == routeOf(r, "billing.invoice"));
        CPPUNIT_ASSERT(route("billing.invoice", "billing.invoice.void") ==
                       routeOf(r, "billing.invoice.void"));
        CPPUNIT_ASSERT(route("x", "a.exchange") == routeOf(r, "a.exchange"));
    }

    void testNoExtraHeadersAreAdded() {
        CPPUNIT_ASSERT(routeOf(routing({{"exchange", "events"}}), "order.placed").headers.empty());
    }

    void testInvalidOverrideNameIsRejectedNamingTheKey() {
        for (const char* key : {"route.Order.Placed.exchange", "route.order.exchange",
                                "route.order..placed.routing_key", "route.1order.placed.exchange",
                                "route..exchange"}) {
            std::string what = refused({{key, "x"}});
            CPPUNIT_ASSERT_MESSAGE(what, contains(what, key));
            CPPUNIT_ASSERT_MESSAGE(what, contains(what, "not a valid message name"));
        }
    }

    void testUnknownOverrideSubKeyIsRejectedNamingTheKey() {
        for (const char* key : {"route.order.placed.queue", "route.order.placed.routingKey",
                                "route.order.placed", "route.exchange"}) {
            std::string what = refused({{key, "x"}});
            CPPUNIT_ASSERT_MESSAGE(what, contains(what, key));
            CPPUNIT_ASSERT_MESSAGE(what, contains(what, "route.<name>.routing_key"));
        }
    }

    void testUnknownKeyIsRejectedNamingTheKey() {
        for (const char* key : {"exchnge", "routes.order.placed.exchange", "exchange.type"}) {
            std::string what = refused({{key, "x"}});
            CPPUNIT_ASSERT_MESSAGE(what, contains(what, std::string(key) + ": unknown key"));
        }
    }

    void testEmptyValuesAreRejected() {
        for (const char* key :
             {"exchange", "route.order.placed.exchange", "route.order.placed.routing_key"}) {
            std::string what = refused({{key, ""}});
            CPPUNIT_ASSERT(contains(what, key));
            CPPUNIT_ASSERT(contains(what, "empty"));
        }
    }

    void testExchangeNameRabbitMqWouldRefuseIsRejected() {
        for (const char* bad : {"my exchange", "ex/change", "caf\xc3\xa9", "a*b"}) {
            std::string what = refused({{"exchange", bad}});
            CPPUNIT_ASSERT(contains(what, "exchange: '"));
            CPPUNIT_ASSERT(contains(what, "not a valid exchange name"));
        }
        CPPUNIT_ASSERT(contains(refused({{"route.order.placed.exchange", std::string(256, 'e')}}),
                                "longer than 255"));
        ConventionRouting ok = routing({{"exchange", std::string(255, 'e')},
                                        {"route.order.placed.exchange", "amq.topic:v1-x_y"}});
        CPPUNIT_ASSERT_EQUAL(std::string("amq.topic:v1-x_y"), routeOf(ok, "order.placed").exchange);
    }

    void testRoutingKeyLongerThan255BytesIsRejected() {
        std::string what = refused({{"route.order.placed.routing_key", std::string(256, 'k')}});
        CPPUNIT_ASSERT(contains(what, "route.order.placed.routing_key"));
        CPPUNIT_ASSERT(contains(what, "255"));
        CPPUNIT_ASSERT_EQUAL(
            std::string(255, 'k'),
            routeOf(routing({{"route.order.placed.routing_key", std::string(255, 'k')}}),
                    "order.placed")
                .routingKey);
    }

    void testRefusedConfigurationKeepsThePreviousRoutes() {
        ConventionRouting r =
            routing({{"exchange", "events"}, {"route.order.placed.routing_key", "placed"}});
        CPPUNIT_ASSERT_THROW(
            r.configure(*config({{"exchange", "other"}, {"route.Bad.name.exchange", "x"}})),
            msgbus::InvalidArgument);
        CPPUNIT_ASSERT(route("events", "placed") == routeOf(r, "order.placed"));
    }

    void testInvalidMessageNameIsMalformed() {
        ConventionRouting r = routing({{"exchange", "events"}});
        for (const char* bad : {"order", "", "Order.Placed", "order."}) {
            try {
                routeOf(r, bad);
                CPPUNIT_FAIL(std::string("routed '") + bad + "'");
            } catch (const msgbus::MalformedMessage& e) {
                CPPUNIT_ASSERT_EQUAL(std::string("message name"), e.field());
            }
        }
        // A name another producer wrote may hold any bytes; the error keeps to printable ASCII.
        try {
            routeOf(r, "order.\xff\n");
            CPPUNIT_FAIL("routed a name with raw bytes");
        } catch (const msgbus::MalformedMessage& e) {
            CPPUNIT_ASSERT(contains(e.what(), "'order.\\xff\\x0a'"));
        }
    }

    void testRouteIsSafeConcurrently() {
        const ConventionRouting r = routing({{"route.order.placed.exchange", "orders"}});
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&r, &failures] {
                for (int i = 0; i < 5000; ++i) {
                    if (routeOf(r, "order.placed").exchange != "orders" ||
                        routeOf(r, "billing.invoice.paid").exchange != "billing.invoice")
                        ++failures;
                }
            });
        for (auto& thread : threads)
            thread.join();
        CPPUNIT_ASSERT_EQUAL(0, failures.load());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConventionRoutingTest);
