// AmqpConnection and declareTopology against the real RabbitMQ (MSGBUS_TEST_AMQP_URL).
#include "core/amqp/AmqpConnection.h"
#include "core/amqp/AmqpError.h"
#include "core/amqp/AmqpUrl.h"
#include "core/amqp/Topology.h"

#include "support/AmqpTestSupport.h"
#include "support/TestEnv.h"

#include <amqp.h>
#include <amqp_framing.h>

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <string>
#include <thread>

using namespace msgbus::core::amqp;
using msgbus::test::uniqueName;

namespace {

bool exchangeExists(AmqpConnection& c, const std::string& name) {
    amqp_exchange_declare(c.state(), c.channel(), amqpBytes(name), amqp_empty_bytes, 1, 0, 0, 0,
                          amqp_empty_table);
    try {
        c.checkRpcReply("probe");
        return true;
    } catch (const AmqpError& e) {
        if (e.replyCode() != 404)
            throw;
        c.reopenChannel();
        return false;
    }
}

} // namespace

class AmqpConnectionTest : public msgbus::test::AmqpFixture {
    CPPUNIT_TEST_SUITE(AmqpConnectionTest);
    CPPUNIT_TEST(testConnectsAndServicesHeartbeatsWhileIdle);
    CPPUNIT_TEST(testWrongPasswordThrowsConnectionLostWithoutThePassword);
    CPPUNIT_TEST(testUnreachableBrokerThrowsConnectionLostNamingTheEndpoint);
    CPPUNIT_TEST(testUnknownVhostIsRefused);
    CPPUNIT_TEST(testChannelErrorCarriesBrokerTextAndChannelCanBeReopened);
    CPPUNIT_TEST(testDeclareTopologyIsIdempotent);
    CPPUNIT_TEST(testTopologyMismatchNamesTheExchangeAndBrokerText);
    CPPUNIT_TEST_SUITE_END();

public:
    void testConnectsAndServicesHeartbeatsWhileIdle() {
        AmqpConnection::Options options;
        options.heartbeatSeconds = 1;
        options.connectionName = "AmqpConnectionTest";
        AmqpConnection c(*_url, options);
        CPPUNIT_ASSERT(c.isUsable());
        CPPUNIT_ASSERT(c.channelOpen());
        CPPUNIT_ASSERT_EQUAL(1, amqp_get_heartbeat(c.state()));
        // The broker drops a connection that misses two heartbeats; keep servicing for 3.5 s.
        for (int i = 0; i < 14; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
            c.serviceHeartbeats();
        }
        CPPUNIT_ASSERT(c.isUsable());
        CPPUNIT_ASSERT(exchangeExists(c, "amq.topic"));
    }

    void testWrongPasswordThrowsConnectionLostWithoutThePassword() {
        AmqpUrl bad(_url->host(), _url->port(), _url->vhost(), _url->user(), "not-the-pw-4711");
        try {
            AmqpConnection c(bad, {});
            CPPUNIT_FAIL("logged in with a wrong password");
        } catch (const AmqpError& e) {
            std::string what = e.what();
            CPPUNIT_ASSERT(e.connectionLost());
            CPPUNIT_ASSERT_MESSAGE(what, what.find("not-the-pw-4711") == std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(what, what.find("'" + _url->user() + "'") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(what, what.find(_url->endpoint()) != std::string::npos);
        }
    }

    void testUnreachableBrokerThrowsConnectionLostNamingTheEndpoint() {
        AmqpUrl closed("127.0.0.1", 1, "/", "u", "secret-pw-4711");
        AmqpConnection::Options options;
        options.connectTimeout = std::chrono::milliseconds(500);
        try {
            AmqpConnection c(closed, options);
            CPPUNIT_FAIL("connected to a closed port");
        } catch (const AmqpError& e) {
            std::string what = e.what();
            CPPUNIT_ASSERT(e.connectionLost());
            CPPUNIT_ASSERT_MESSAGE(what, what.find("127.0.0.1:1") != std::string::npos);
            CPPUNIT_ASSERT(what.find("secret-pw-4711") == std::string::npos);
        }
    }

    void testUnknownVhostIsRefused() {
        AmqpUrl bad(_url->host(), _url->port(), "no-such-vhost-" + uniqueName("v"), _url->user(),
                    _url->password());
        try {
            AmqpConnection c(bad, {});
            CPPUNIT_FAIL("opened an unknown vhost");
        } catch (const AmqpError& e) {
            CPPUNIT_ASSERT(e.connectionLost());
            CPPUNIT_ASSERT_MESSAGE(e.what(), std::string(e.what()).find("no-such-vhost") !=
                                                 std::string::npos);
        }
    }

    void testChannelErrorCarriesBrokerTextAndChannelCanBeReopened() {
        AmqpConnection c(*_url, {});
        std::string missing = uniqueName("missing");
        amqp_queue_declare(c.state(), c.channel(), amqpBytes(missing), /*passive*/ 1, 0, 0, 0,
                           amqp_empty_table);
        try {
            c.checkRpcReply("queue.declare (passive) '" + missing + "'");
            CPPUNIT_FAIL("a missing queue was found");
        } catch (const AmqpError& e) {
            std::string what = e.what();
            CPPUNIT_ASSERT(!e.connectionLost());
            CPPUNIT_ASSERT_EQUAL(std::uint16_t(404), e.replyCode());
            CPPUNIT_ASSERT_MESSAGE(what, what.find("NOT_FOUND") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(what, what.find(missing) != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(what, what.find("channel 1") != std::string::npos);
        }
        CPPUNIT_ASSERT(!c.channelOpen());
        CPPUNIT_ASSERT(c.isUsable());
        std::uint64_t generation = c.channelGeneration();
        c.reopenChannel();
        CPPUNIT_ASSERT(c.channelOpen());
        CPPUNIT_ASSERT_EQUAL(generation + 1, c.channelGeneration());
        CPPUNIT_ASSERT(exchangeExists(c, "amq.direct"));
        // Reopening an open channel closes it first.
        c.reopenChannel();
        CPPUNIT_ASSERT_EQUAL(generation + 2, c.channelGeneration());
        CPPUNIT_ASSERT(exchangeExists(c, "amq.direct"));
    }

    void testDeclareTopologyIsIdempotent() {
        TopologySpec spec;
        std::string exchange = uniqueName("x");
        std::string queue = uniqueName("q");
        addExchange(exchange);
        addQueue(queue);
        spec.exchanges.push_back(ExchangeSpec{exchange, "topic", true});
        spec.queues.push_back(QueueSpec{queue, true, {{exchange, "order.*"}, {exchange, "#.x"}}});
        AmqpConnection c(*_url, {});
        declareTopology(c, spec);
        declareTopology(c, spec);
        CPPUNIT_ASSERT(exchangeExists(c, exchange));
        amqp_queue_declare_ok_t* ok = amqp_queue_declare(c.state(), c.channel(), amqpBytes(queue),
                                                         1, 0, 0, 0, amqp_empty_table);
        c.checkRpcReply("queue.declare passive");
        CPPUNIT_ASSERT(ok != nullptr);
    }

    void testTopologyMismatchNamesTheExchangeAndBrokerText() {
        std::string exchange = uniqueName("x");
        addExchange(exchange);
        AmqpConnection c(*_url, {});
        declareTopology(c, TopologySpec{{ExchangeSpec{exchange, "topic", true}}, {}});
        try {
            declareTopology(c, TopologySpec{{ExchangeSpec{exchange, "direct", true}}, {}});
            CPPUNIT_FAIL("redeclared a topic exchange as direct");
        } catch (const AmqpError& e) {
            std::string what = e.what();
            CPPUNIT_ASSERT_EQUAL(std::uint16_t(406), e.replyCode());
            CPPUNIT_ASSERT(!e.connectionLost());
            CPPUNIT_ASSERT_MESSAGE(what, what.find("'" + exchange + "'") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(what, what.find("PRECONDITION_FAILED") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(what, what.find("inequivalent") != std::string::npos);
        }
        // The channel was reopened: the connection goes on.
        CPPUNIT_ASSERT(c.channelOpen());
        std::string queue = uniqueName("q");
        addQueue(queue);
        declareTopology(c, TopologySpec{{}, {QueueSpec{queue, false, {}}}});
        try {
            declareTopology(c, TopologySpec{{}, {QueueSpec{queue, true, {}}}});
            CPPUNIT_FAIL("redeclared a transient queue as durable");
        } catch (const AmqpError& e) {
            CPPUNIT_ASSERT_EQUAL(std::uint16_t(406), e.replyCode());
            CPPUNIT_ASSERT(std::string(e.what()).find("'" + queue + "'") != std::string::npos);
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AmqpConnectionTest);
