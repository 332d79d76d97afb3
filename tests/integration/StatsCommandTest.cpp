// `msgbus stats` against the real broker: with amqp.management.url it shows each queue's ready
// and unacked messages, consumers and the age of its oldest ready message (the consumer lag);
// without it, what AMQP tells; a management API that is away is one line, never a failure, and
// the credentials never show.
#include "core/amqp/AmqpConsumer.h"
#include "core/amqp/AmqpUrl.h"
#include "support/HttpProbe.h"
#include "support/ScratchBus.h"
#include "support/TestEnv.h"

#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

#include <thread>

using namespace msgbus;

class StatsCommandTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StatsCommandTest);
    CPPUNIT_TEST(testUnackedAndLagComeFromTheManagementApi);
    CPPUNIT_TEST(testWithoutTheManagementApiUnackedIsUnknown);
    CPPUNIT_TEST(testAManagementApiThatIsAwayIsOneLineNotAFailure);
    CPPUNIT_TEST_SUITE_END();

    struct Bus : test::ScratchBus {
        explicit Bus(const std::map<std::string, std::string>& extra) : ScratchBus("stats") {
            auto properties = extra;
            // The queue as `msgbus setup` knows it, which is what stats lists.
            properties.emplace("amqp.queue." + queue + ".bindings", exchange + ":order.#");
            open("SQLite", properties, "order.#");
        }

        /// count messages stamped ageSeconds ago (the timestamp property the lag is read from).
        void sendStamped(int count, std::int64_t ageSeconds) {
            std::vector<WireMessage> wires(static_cast<std::size_t>(count));
            const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
            for (auto& wire : wires) {
                wire.body = "{}";
                wire.properties.timestamp = now - ageSeconds;
                wire.headers.push_back(
                    {"x-message-id", FieldValue::ofString(Id::generate().toString())});
            }
            send(wires, "order.placed");
        }

        Poco::JSON::Object::Ptr stats() {
            std::string output;
            const int rc = test::runCommandStdout(test::msgbusBinary() + " stats --json --config " +
                                                      writeConfig(test::tempDir("stats")),
                                                  &output);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 0, rc);
            return Poco::JSON::Parser().parse(output).extract<Poco::JSON::Object::Ptr>();
        }

        Poco::JSON::Object::Ptr queueIn(const Poco::JSON::Object::Ptr& stats) {
            auto queues = stats->getArray("queues");
            for (std::size_t i = 0; i < queues->size(); ++i) {
                auto q = queues->getObject(static_cast<unsigned>(i));
                if (q->getValue<std::string>("queue") == queue)
                    return q;
            }
            CPPUNIT_FAIL("stats does not list " + queue);
            return nullptr;
        }
    };

public:
    void testUnackedAndLagComeFromTheManagementApi() {
        Bus bus({{"amqp.management.url", test::managementUrl()}});
        bus.sendStamped(5, 120);
        // A consumer holds two messages without acking them.
        core::amqp::AmqpConsumer::Options options;
        options.queue = bus.queue;
        options.prefetch = 2;
        core::amqp::AmqpConsumer consumer(core::amqp::AmqpUrl::parse(test::amqpUrl()), options);
        consumer.connect();
        CPPUNIT_ASSERT(consumer.next(std::chrono::seconds(5)));
        CPPUNIT_ASSERT(consumer.next(std::chrono::seconds(5)));
        // The management API refreshes its figures every second (collect_statistics_interval).
        Poco::JSON::Object::Ptr q;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        do {
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            q = bus.queueIn(bus.stats());
        } while ((q->isNull("unacked") || q->getValue<int>("unacked") != 2 ||
                  q->getValue<int>("ready") != 3) &&
                 std::chrono::steady_clock::now() < deadline);
        CPPUNIT_ASSERT_EQUAL(3, q->getValue<int>("ready"));
        CPPUNIT_ASSERT_EQUAL(2, q->getValue<int>("unacked"));
        CPPUNIT_ASSERT_EQUAL(1, q->getValue<int>("consumers"));
        const int lag = q->getValue<int>("oldest_ready_age_seconds");
        CPPUNIT_ASSERT_MESSAGE(std::to_string(lag), lag >= 120 && lag < 300);

        std::string text;
        CPPUNIT_ASSERT_EQUAL(0, test::runCommand(test::msgbusBinary() + " stats --config " +
                                                     bus.writeConfig(test::tempDir("stats")),
                                                 &text));
        CPPUNIT_ASSERT_MESSAGE(text, text.find("3 ready, 2 unacked, 1 consumer(s), oldest ready") !=
                                         std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(text, text.find("msgbus-test") == std::string::npos);
    }

    void testWithoutTheManagementApiUnackedIsUnknown() {
        Bus bus({});
        bus.sendStamped(4, 0);
        auto q = bus.queueIn(bus.stats());
        CPPUNIT_ASSERT_EQUAL(4, q->getValue<int>("ready"));
        CPPUNIT_ASSERT(q->isNull("unacked"));
        CPPUNIT_ASSERT(q->isNull("oldest_ready_age_seconds"));
        std::string text;
        CPPUNIT_ASSERT_EQUAL(0, test::runCommand(test::msgbusBinary() + " stats --config " +
                                                     bus.writeConfig(test::tempDir("stats")),
                                                 &text));
        CPPUNIT_ASSERT_MESSAGE(text, text.find("need amqp.management.url") != std::string::npos);
    }

    void testAManagementApiThatIsAwayIsOneLineNotAFailure() {
        const auto port = std::to_string(test::freeLocalPort());
        Bus bus({{"amqp.management.url", "http://127.0.0.1:" + port}});
        bus.sendStamped(1, 0);
        auto stats = bus.stats();
        const std::string error = stats->getValue<std::string>("management_error");
        CPPUNIT_ASSERT_MESSAGE(error, error.find("127.0.0.1:" + port) != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(error, error.find("msgbus-test") == std::string::npos);
        // What AMQP tells still shows.
        CPPUNIT_ASSERT_EQUAL(1, bus.queueIn(stats)->getValue<int>("ready"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StatsCommandTest);
