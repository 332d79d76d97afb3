// AmqpNodes: the broker nodes of a cluster, as amqp.url lists them, without a broker.
#include "core/amqp/AmqpNodes.h"

#include <msgbus/Error.h>

#include <cppunit/extensions/HelperMacros.h>

#include <set>

using msgbus::core::amqp::AmqpNodes;
using msgbus::core::amqp::AmqpUrl;

class AmqpNodesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AmqpNodesTest);
    CPPUNIT_TEST(testOneUrlIsOneNode);
    CPPUNIT_TEST(testConnectionsGoRoundTheNodes);
    CPPUNIT_TEST(testStartingNodesAreSpread);
    CPPUNIT_TEST(testBadNodeIsNamedWithoutItsPassword);
    CPPUNIT_TEST(testACommaInsideAUrlIsNoSeparator);
    CPPUNIT_TEST_SUITE_END();

    static const std::string three;

public:
    void testOneUrlIsOneNode() {
        AmqpNodes nodes = AmqpNodes::parse("amqp://u:p@h:1/%2f");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), nodes.size());
        CPPUNIT_ASSERT_EQUAL(std::string("h:1"), nodes.next().endpoint());
        CPPUNIT_ASSERT_EQUAL(std::string("h:1"), nodes.next().endpoint());
    }

    void testConnectionsGoRoundTheNodes() {
        AmqpNodes nodes = AmqpNodes::parse(three);
        const std::string first = nodes.next().endpoint();
        const std::string second = nodes.next().endpoint();
        const std::string third = nodes.next().endpoint();
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), std::set<std::string>({first, second, third}).size());
        CPPUNIT_ASSERT_EQUAL(first, nodes.next().endpoint()); // and round again
        CPPUNIT_ASSERT_EQUAL(second, nodes.next().endpoint());
    }

    void testStartingNodesAreSpread() {
        // A fleet of hosts with one configuration must not all start on the first node.
        std::set<std::string> starts;
        for (int host = 0; host < 60; ++host)
            starts.insert(AmqpNodes::parse(three).next().endpoint());
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), starts.size());
    }

    void testBadNodeIsNamedWithoutItsPassword() {
        for (const std::string& list :
             {std::string("amqp://u:hunter2@a:1/%2f,amqp://u:hunter2@b:notaport/%2f"),
              std::string("amqp://u:hunter2@a:1/%2f,"), std::string(",amqp://u:hunter2@a:1/")}) {
            try {
                AmqpNodes::parse(list);
                CPPUNIT_FAIL("accepted: " + list);
            } catch (const msgbus::InvalidArgument& e) {
                const std::string text = e.what();
                CPPUNIT_ASSERT_MESSAGE(text, text.find(" of 2") != std::string::npos);
                CPPUNIT_ASSERT_MESSAGE(text, text.find("hunter2") == std::string::npos);
            }
        }
    }

    void testACommaInsideAUrlIsNoSeparator() {
        // A raw ',' in a password was always accepted in a single URL.
        AmqpNodes one = AmqpNodes::parse("amqp://u:pa,ss@h:1/%2f");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), one.size());
        CPPUNIT_ASSERT_EQUAL(std::string("pa,ss"), one.urls()[0].password());
        AmqpNodes two = AmqpNodes::parse("amqp://u:pa,ss@h:1/%2f , amqp://u:pa,ss@g:2/%2f");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), two.size());
        CPPUNIT_ASSERT_EQUAL(std::string("h:1, g:2"), two.endpoints());
        CPPUNIT_ASSERT_EQUAL(std::string("pa,ss"), two.urls()[1].password());
    }
};

const std::string AmqpNodesTest::three =
    "amqp://u:p@n1:5672/%2f,amqp://u:p@n2:5672/%2f,amqp://u:p@n3:5672/%2f";

CPPUNIT_TEST_SUITE_REGISTRATION(AmqpNodesTest);
