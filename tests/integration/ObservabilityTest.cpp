// What an operator traces and reads, against the real MariaDB and RabbitMQ:
// - a message a handler publishes through context.publish() carries its cause's trace (a child
//   traceparent, the tracestate), correlation id and causation id, through the real inbox into
//   the outbox row;
// - `msgbus run` with logging.format = json writes one JSON object per line, with the consumer,
//   message id and name and trace id on a message's lines, and never the broker password.
#include "core/inbox/InboxConsumer.h"
#include "core/tracing/TraceContext.h"
#include "support/AmqpTestSupport.h"
#include "support/HostProcess.h"
#include "support/ScratchBus.h"
#include "support/TestEnv.h"

#include <msgbus/Message.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

#include <csignal>
#include <sstream>

using namespace msgbus;
using namespace Poco::Data::Keywords;
using namespace std::chrono_literals;

namespace {

const std::string kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

std::map<std::string, std::string> poisonConsumer(const std::string& queue) {
    return {{"plugin.poison.library", "libmsgbus-test-poison.so"},
            {"inbox.consumers", "poison"},
            {"inbox.consumer.poison.queue", queue},
            {"inbox.consumer.poison.plugins", "poison"},
            {"retry.delay_ms", "600000"}};
}

void createEffects(Poco::Data::Session& session) {
    session << "CREATE TABLE poison_effects (k VARCHAR(64) PRIMARY KEY, rerun INT NOT NULL)", now;
}

Message poison(const std::string& key, const std::string& mode) {
    Message m("test.poison", R"({"key":")" + key + R"(","mode":")" + mode + R"("})");
    m.setId(Id::generate());
    // As the outbox stamps it: the inbox lag runs from here.
    m.setCreatedAt(std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count());
    return m;
}

} // namespace

class ObservabilityTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ObservabilityTest);
    CPPUNIT_TEST(testPublishedMessageInheritsTraceAndCorrelation);
    CPPUNIT_TEST(testJsonLogsCarryMessageFieldsAndNoPassword);
    CPPUNIT_TEST(testStatsShowsTheBrokerQueues);
    CPPUNIT_TEST(testPluginsAsJson);
    CPPUNIT_TEST_SUITE_END();

public:
    void testPublishedMessageInheritsTraceAndCorrelation() {
        test::ScratchBus bus("trace");
        bus.open("MySQL", poisonConsumer(bus.queue), "#", createEffects);
        Message cause = poison("cause", "publish");
        cause.setHeader("traceparent", kTraceparent);
        cause.setHeader("tracestate", "vendor=abc");
        cause.setHeader("correlation-id", "order-42");
        Message plain = poison("plain", "publish");
        bus.send({bus.plugins.current()->serializer->encode(cause),
                  bus.plugins.current()->serializer->encode(plain)},
                 "test.poison");
        bus.consume(2);
        // Both were handled: their lag from x-created-at to the commit is in /metrics.
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), bus.metrics.inboxLag.count());
        CPPUNIT_ASSERT(bus.metrics.prometheus().find("msgbus_inbox_lag_seconds_count 2") !=
                       std::string::npos);

        auto headersOf = [&](const std::string& key) {
            std::string headers;
            auto session = bus.database->session();
            *session << "SELECT headers FROM " + bus.settings.outbox.table +
                            " WHERE body LIKE '%\"" + key + "\"%'",
                into(headers), now;
            return Poco::JSON::Parser().parse(headers).extract<Poco::JSON::Object::Ptr>();
        };
        auto next = headersOf("cause-next");
        auto child = core::TraceParent::parse(next->optValue<std::string>("traceparent", ""));
        CPPUNIT_ASSERT(child);
        CPPUNIT_ASSERT_EQUAL(std::string("4bf92f3577b34da6a3ce929d0e0e4736"), child->traceId);
        CPPUNIT_ASSERT(child->parentId != "00f067aa0ba902b7");
        CPPUNIT_ASSERT_EQUAL(std::string("vendor=abc"),
                             next->optValue<std::string>("tracestate", ""));
        CPPUNIT_ASSERT_EQUAL(std::string("order-42"),
                             next->optValue<std::string>("correlation-id", ""));
        CPPUNIT_ASSERT_EQUAL(cause.id().toString(),
                             next->optValue<std::string>("causation-id", ""));

        // A cause without correlation starts one: its own id.
        auto plainNext = headersOf("plain-next");
        CPPUNIT_ASSERT_EQUAL(plain.id().toString(),
                             plainNext->optValue<std::string>("correlation-id", ""));
        CPPUNIT_ASSERT_EQUAL(plain.id().toString(),
                             plainNext->optValue<std::string>("causation-id", ""));
        CPPUNIT_ASSERT(!plainNext->has("traceparent"));
    }

    void testJsonLogsCarryMessageFieldsAndNoPassword() {
        const std::string password = "Pw-" + test::uniqueName("secret") + "/:@+=%";
        test::BrokerUser user(test::uniqueName("jsonlogs"), password);
        test::ScratchBus bus("jsonlogs");
        auto properties = poisonConsumer(bus.queue);
        bus.open("MySQL", properties, "#", createEffects);

        properties =
            test::baseProperties("MySQL", bus.settings.db.connection, bus.exchange, properties);
        // The bus's own tables (baseProperties names fresh ones each time).
        properties["outbox.table"] = bus.settings.outbox.table;
        properties["dedup.table"] = bus.settings.dedupTable;
        properties["failed.table"] = bus.settings.failedTable;
        properties["logging.format"] = "json";
        properties["amqp.user"] = user.name();
        properties["amqp.password"] = password;
        const std::string dir = test::tempDir("jsonlogs");
        properties["plugins.runtime_dir"] = dir + "/runtime";
        const std::string config = test::writeProperties(dir + "/host.properties", properties);

        Message failing = poison("failing", "fail"); // a retry row, logged with its fields
        failing.setHeader("traceparent", kTraceparent);
        bus.send({bus.plugins.current()->serializer->encode(failing)}, "test.poison");
        test::HostProcess host(test::HostProcess::msgbusRun(config), dir + "/host.log");
        const bool logged = test::waitUntil(
            [&] { return host.logContains("will be retried") || !host.running(); }, 30s);
        host.signal(SIGTERM);
        const auto status = host.waitExit(30s);
        CPPUNIT_ASSERT_MESSAGE(host.logTail(), logged && status && status->success());

        // A wrong password: the refused login is logged, the password is not.
        properties["amqp.password"] = password + "-wrong";
        test::writeProperties(dir + "/wrong.properties", properties);
        test::HostProcess refused(test::HostProcess::msgbusRun(dir + "/wrong.properties"),
                                  dir + "/wrong.log");
        test::waitUntil(
            [&] { return refused.logContains("ACCESS_REFUSED") || refused.logContains("refused"); },
            15s);
        refused.signal(SIGTERM);
        refused.waitExit(30s);

        bool sawFields = false;
        for (const auto* process : {&host, &refused}) {
            const std::string log = process->log();
            CPPUNIT_ASSERT_MESSAGE("the password is in the log",
                                   log.find(password) == std::string::npos);
            CPPUNIT_ASSERT(log.find("Pw-") == std::string::npos);
            std::istringstream lines(log);
            std::string line;
            int parsed = 0;
            while (std::getline(lines, line)) {
                if (line.empty())
                    continue;
                Poco::JSON::Object::Ptr object;
                try {
                    object = Poco::JSON::Parser().parse(line).extract<Poco::JSON::Object::Ptr>();
                } catch (const std::exception& e) {
                    CPPUNIT_FAIL("not a JSON line: " + line);
                }
                ++parsed;
                for (const char* key : {"time", "level", "logger", "message"})
                    CPPUNIT_ASSERT_MESSAGE(line, object->has(key));
                if (object->optValue<std::string>("message", "").find("will be retried") !=
                    std::string::npos) {
                    sawFields = true;
                    CPPUNIT_ASSERT_EQUAL(std::string("poison"),
                                         object->optValue<std::string>("consumer", ""));
                    CPPUNIT_ASSERT_EQUAL(failing.id().toString(),
                                         object->optValue<std::string>("message_id", ""));
                    CPPUNIT_ASSERT_EQUAL(std::string("test.poison"),
                                         object->optValue<std::string>("message_name", ""));
                    CPPUNIT_ASSERT_EQUAL(std::string("4bf92f3577b34da6a3ce929d0e0e4736"),
                                         object->optValue<std::string>("trace_id", ""));
                }
            }
            CPPUNIT_ASSERT(parsed > 0);
        }
        CPPUNIT_ASSERT(sawFields);
    }

    void testStatsShowsTheBrokerQueues() {
        test::ScratchBus bus("stats");
        auto properties = poisonConsumer(bus.queue);
        bus.open("MySQL", properties, "#", createEffects);
        bus.send({bus.plugins.current()->serializer->encode(poison("a", "ok")),
                  bus.plugins.current()->serializer->encode(poison("b", "ok"))},
                 "test.poison");
        properties =
            test::baseProperties("MySQL", bus.settings.db.connection, bus.exchange, properties);
        properties["outbox.table"] = bus.settings.outbox.table;
        properties["dedup.table"] = bus.settings.dedupTable;
        properties["failed.table"] = bus.settings.failedTable;
        const std::string dir = test::tempDir("stats");
        const std::string config = test::writeProperties(dir + "/host.properties", properties);
        std::string output;
        const int rc = test::runCommandStdout(
            test::msgbusBinary() + " stats --json --config " + config, &output);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, rc);
        auto stats = Poco::JSON::Parser().parse(output).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT(stats->isNull("broker_error"));
        CPPUNIT_ASSERT_EQUAL(0, stats->getValue<int>("outbox_pending"));
        auto queues = stats->getArray("queues");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), queues->size());
        auto queue = queues->getObject(0);
        CPPUNIT_ASSERT_EQUAL(bus.queue, queue->getValue<std::string>("queue"));
        CPPUNIT_ASSERT_MESSAGE(output, queue->getValue<bool>("exists"));
        CPPUNIT_ASSERT_EQUAL(2, queue->getValue<int>("ready"));
        CPPUNIT_ASSERT_EQUAL(0, queue->getValue<int>("consumers"));
    }

    void testPluginsAsJson() {
        const std::string dir = test::tempDir("pluginsjson");
        auto properties = test::baseProperties("SQLite", dir + "/bus.db", "ex",
                                               poisonConsumer(test::uniqueName("q")));
        properties["plugins.runtime_dir"] = dir + "/runtime";
        const std::string config = test::writeProperties(dir + "/host.properties", properties);
        std::string output;
        const int rc = test::runCommandStdout(
            test::msgbusBinary() + " plugins --json --config " + config, &output);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, rc);
        auto object = Poco::JSON::Parser().parse(output).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(std::string("json"), object->getValue<std::string>("serializer"));
        auto plugins = object->getArray("plugins");
        bool sawPoison = false;
        for (std::size_t i = 0; i < plugins->size(); ++i) {
            auto plugin = plugins->getObject(static_cast<unsigned>(i));
            CPPUNIT_ASSERT_EQUAL(1, plugin->getValue<int>("sdk_abi"));
            if (plugin->getValue<std::string>("id") != "poison")
                continue;
            sawPoison = true;
            auto handler = plugin->getArray("handlers")->getObject(0);
            CPPUNIT_ASSERT_EQUAL(std::string("test.poison"),
                                 handler->getArray("names")->getElement<std::string>(0));
        }
        CPPUNIT_ASSERT(sawPoison);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ObservabilityTest);
