// The inbox's consumer pump against the real RabbitMQ: a lane gathering a batch learns when the
// broker has sent all it had, so a batch does not wait out inbox.batch_wait_ms for deliveries
// that are not coming.
#include "core/inbox/ConsumerPump.h"
#include "core/amqp/AmqpPublisher.h"
#include "core/metrics/Metrics.h"
#include "core/util/StopToken.h"
#include "support/AmqpTestSupport.h"

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace msgbus;
using namespace msgbus::core;

class ConsumerPumpTest : public test::AmqpFixture {
    CPPUNIT_TEST_SUITE(ConsumerPumpTest);
    CPPUNIT_TEST(testAGatheringLaneStopsWaitingOnceTheBrokerSentAllItHad);
    CPPUNIT_TEST_SUITE_END();

    void publish(const std::string& exchange, int count) {
        amqp::AmqpPublisher publisher(*_url);
        std::vector<amqp::OutgoingMessage> messages;
        for (int i = 0; i < count; ++i) {
            amqp::OutgoingMessage m;
            m.exchange = exchange;
            m.routingKey = "pump.test";
            m.wire.body = std::to_string(i);
            m.wire.properties.messageId = "pump-" + std::to_string(i);
            messages.push_back(std::move(m));
        }
        for (const auto& outcome : publisher.publishBatch(messages, std::chrono::seconds(30)))
            CPPUNIT_ASSERT(outcome.result == amqp::PublishResult::Confirmed);
    }

public:
    void testAGatheringLaneStopsWaitingOnceTheBrokerSentAllItHad() {
        auto [exchange, queue] = declareBound();
        publish(exchange, 3);
        Metrics metrics;
        amqp::AmqpConsumer::Options options;
        options.queue = queue;
        options.prefetch = 100;
        ConsumerPump pump(*_url, options, 1, 1, metrics, "pump-test");
        StopToken stop;
        std::thread pumpThread([&] { pump.run(stop); });
        const std::uint64_t epoch = pump.waitConnected(std::chrono::seconds(30));
        CPPUNIT_ASSERT(epoch != 0);

        // Gathering as a lane does: the three that are there, then nothing more...
        std::vector<std::string> got;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (got.size() < 3 && std::chrono::steady_clock::now() < deadline)
            if (auto d = pump.take(0, epoch, std::chrono::milliseconds(200)))
                got.push_back(d->wire.body);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), got.size());
        // ...and with the broker silent, a wait for a fourth ends long before its two minutes:
        // the pump waiting on a socket with nothing to read ends it.
        const auto asked = std::chrono::steady_clock::now();
        auto fourth = pump.take(0, epoch, std::chrono::minutes(2), true);
        CPPUNIT_ASSERT(!fourth);
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - asked < std::chrono::minutes(1));

        // A lane that does not ask for it still waits for deliveries as before.
        publish(exchange, 1);
        auto late = pump.take(0, epoch, std::chrono::seconds(60));
        CPPUNIT_ASSERT(late);
        CPPUNIT_ASSERT_EQUAL(std::string("0"), late->wire.body);
        stop.requestStop();
        pumpThread.join();
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConsumerPumpTest);
