// Log lines cannot be forged: `msgbus run` (logging.format = text) gets a redelivered message
// whose x-message-id holds a line break followed by a fake log line. Its id is logged (a host
// stopped while running it, so it runs alone), and no output line starts with the fake text:
// the line break is written as \n inside the one line msgbus wrote.
#include "core/amqp/AmqpConsumer.h"
#include "core/amqp/AmqpUrl.h"
#include "core/inbox/UnfinishedRuns.h"
#include "support/HostProcess.h"
#include "support/ScratchBus.h"
#include "support/TestEnv.h"

#include <cppunit/extensions/HelperMacros.h>

#include <csignal>
#include <sstream>

using namespace msgbus;
using namespace std::chrono_literals;

class LogForgeryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LogForgeryTest);
    CPPUNIT_TEST(testMessageIdWithALineBreakCannotStartALogLine);
    CPPUNIT_TEST_SUITE_END();

public:
    void testMessageIdWithALineBreakCannotStartALogLine() {
        test::ScratchBus bus("forge");
        bus.open("SQLite", {{"plugin.poison.library", "libmsgbus-test-poison.so"},
                            {"inbox.consumers", "poison"},
                            {"inbox.consumer.poison.queue", bus.queue},
                            {"inbox.consumer.poison.plugins", "poison"},
                            {"logging.format", "text"}});
        const std::string id =
            "x\nFORGED 2026-11-26T03:12:45.123Z Error [msgbus.host] all is lost\r\nFORGED too";
        WireMessage wire;
        wire.body = R"({"key":"forged","mode":"ok"})";
        wire.headers.push_back({"x-message-id", FieldValue::ofString(id)});
        wire.headers.push_back({"x-message-name", FieldValue::ofString("test.poison")});
        bus.send({wire}, "test.poison");
        {
            // Given back once unsettled: the broker marks it redelivered.
            core::amqp::AmqpConsumer::Options options;
            options.queue = bus.queue;
            core::amqp::AmqpConsumer raw(core::amqp::AmqpUrl::parse(test::amqpUrl()), options);
            raw.connect();
            auto delivery = raw.next(std::chrono::seconds(10));
            CPPUNIT_ASSERT(delivery);
            raw.nack(delivery->deliveryTag, false, true, delivery->connectionEpoch);
        }
        // What a host that died while running it leaves behind: its run began and never ended.
        {
            core::UnfinishedRuns runs(core::Dialect::SQLite, bus.settings.dedupTable, "poison");
            auto session = bus.database->session();
            runs.begin(*session, {core::UnfinishedRuns::keyOf("id:" + id)});
        }

        const std::string dir = test::tempDir("forge");
        test::HostProcess host(test::HostProcess::msgbusRun(bus.writeConfig(dir)),
                               dir + "/host.log");
        const bool logged =
            test::waitUntil([&] { return host.logContains("runs alone") || !host.running(); }, 30s);
        host.signal(SIGTERM);
        host.waitExit(30s);
        CPPUNIT_ASSERT_MESSAGE(host.logTail(), logged && host.logContains("runs alone"));

        std::istringstream lines(host.log());
        std::string line;
        while (std::getline(lines, line))
            CPPUNIT_ASSERT_MESSAGE("a forged line:\n" + host.log(), line.rfind("FORGED", 0) != 0);
        CPPUNIT_ASSERT_MESSAGE(host.log(),
                               host.logContains("message id:x\\nFORGED 2026-11-26T03:12:45.123Z "
                                                "Error [msgbus.host] all is lost\\r\\nFORGED too"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LogForgeryTest);
