// `msgbus setup` with quorum queues and queue arguments, against the real broker: declared with
// their type and typed arguments, twice without complaint, and a queue that already exists as
// another type fails setup with a message that names the queue, both types and the key.
#include "support/AmqpTestSupport.h"
#include "support/TestEnv.h"

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus;

class QuorumTopologyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(QuorumTopologyTest);
    CPPUNIT_TEST(testSetupDeclaresQuorumQueueWithArgumentsTwice);
    CPPUNIT_TEST(testQueueThatExistsAsClassicFailsSetupNamingBothTypes);
    CPPUNIT_TEST(testBadQueueSettingsAreConfigurationErrors);
    CPPUNIT_TEST_SUITE_END();

    struct Setup {
        std::string dir = test::tempDir("quorum");
        std::string exchange = test::uniqueName("quorum_ex");
        std::string queue = test::uniqueName("quorum_q");

        ~Setup() { test::deleteQueueAndExchange(queue, exchange); }

        /// Runs `msgbus setup --topology-only` with the queue's keys; returns its exit code.
        int run(const std::map<std::string, std::string>& queueKeys, std::string& output) {
            std::map<std::string, std::string> extra{
                {"amqp.exchange." + exchange + ".type", "topic"},
                {"amqp.queue." + queue + ".bindings", exchange + ":order.#"}};
            for (const auto& [key, value] : queueKeys)
                extra["amqp.queue." + queue + "." + key] = value;
            const std::string config = test::writeProperties(
                dir + "/msgbus.properties",
                test::baseProperties("SQLite", dir + "/bus.db", exchange, extra));
            return test::runCommand(
                test::msgbusBinary() + " setup --topology-only --config " + config, &output);
        }
    };

    static void assertContains(const std::string& text, const std::string& part) {
        CPPUNIT_ASSERT_MESSAGE("expected '" + part + "' in: " + text,
                               text.find(part) != std::string::npos);
    }

public:
    void testSetupDeclaresQuorumQueueWithArgumentsTwice() {
        Setup setup;
        const std::map<std::string, std::string> keys{
            {"type", "quorum"},
            {"argument.x-delivery-limit", "50"},
            {"argument.x-dead-letter-exchange", "orders.dead"},
            {"argument.x-single-active-consumer", "true"}};
        std::string output;
        for (int i = 0; i < 2; ++i) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, setup.run(keys, output));
            assertContains(output, "1 queue(s) declared");
        }
        const std::string listed =
            test::rabbitmqctl({"-q", "list_queues", "-p", "/", "name", "type", "arguments"});
        const auto line = listed.find(setup.queue);
        CPPUNIT_ASSERT_MESSAGE(listed, line != std::string::npos);
        const std::string row = listed.substr(line, listed.find('\n', line) - line);
        assertContains(row, "quorum");
        assertContains(row, "x-delivery-limit");
        assertContains(row, "50");
        assertContains(row, "orders.dead");
        assertContains(row, "x-single-active-consumer");
    }

    void testQueueThatExistsAsClassicFailsSetupNamingBothTypes() {
        Setup setup;
        std::string output;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, setup.run({}, output)); // classic, the default
        CPPUNIT_ASSERT(setup.run({{"type", "quorum"}}, output) != 0);
        assertContains(output, "queue '" + setup.queue + "' already exists with other settings");
        assertContains(output, "x-queue-type is 'classic' on the broker");
        assertContains(output, "amqp.queue." + setup.queue + ".type");
        assertContains(output, "'quorum'");
    }

    void testBadQueueSettingsAreConfigurationErrors() {
        Setup setup;
        std::string output;
        CPPUNIT_ASSERT_EQUAL(2, setup.run({{"type", "stream"}}, output));
        assertContains(output, "amqp.queue." + setup.queue + ".type");
        CPPUNIT_ASSERT_EQUAL(2, setup.run({{"argument.x-delivery-limit", "lots"}}, output));
        assertContains(output, "amqp.queue." + setup.queue + ".argument.x-delivery-limit");
        assertContains(output, "'lots' is not a whole number");
        CPPUNIT_ASSERT_EQUAL(2, setup.run({{"argument.x-queue-type", "quorum"}}, output));
        assertContains(output, "amqp.queue.<name>.type");
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(QuorumTopologyTest);
