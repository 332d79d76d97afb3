// ConsumerPump against a real RabbitMQ: a lane's give-back counts in
// msgbus_inbox_given_back_total when the nack frame goes to the broker, once per delivery,
// however often it was asked for, and a lane cannot settle another lane's delivery.
#include "core/amqp/AmqpNodes.h"
#include "core/inbox/ConsumerPump.h"
#include "core/metrics/Metrics.h"
#include "core/util/StopToken.h"
#include "support/ScratchBus.h"
#include "support/TestEnv.h"

#include <cppunit/extensions/HelperMacros.h>

#include <thread>

using namespace msgbus;

class ConsumerPumpSettleTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConsumerPumpSettleTest);
    CPPUNIT_TEST(testAGiveBackCountsOnceWhenItsFrameIsSent);
    CPPUNIT_TEST_SUITE_END();

    struct Pumped {
        core::amqp::Delivery delivery;
        unsigned lane = 0;
    };

    /// The next delivery on any lane, waiting up to a generous deadline.
    static Pumped next(core::ConsumerPump& pump, std::uint64_t epoch) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (std::chrono::steady_clock::now() < deadline)
            for (unsigned lane = 0; lane < 2; ++lane)
                if (auto d = pump.take(lane, epoch, std::chrono::milliseconds(20)))
                    return {std::move(*d), lane};
        CPPUNIT_FAIL("no delivery within 30 s");
        return {};
    }

    static bool framesReach(const core::Metrics& metrics, std::uint64_t frames) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (metrics.settleFrames.load() < frames && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return metrics.settleFrames.load() == frames;
    }

public:
    void testAGiveBackCountsOnceWhenItsFrameIsSent() {
        test::ScratchBus bus("pump");
        bus.open("SQLite", {});
        WireMessage wire;
        wire.body = "{}";
        bus.send({wire, wire}, "test.pump");

        core::amqp::AmqpConsumer::Options options;
        options.queue = bus.queue;
        options.prefetch = 10;
        core::Metrics metrics;
        core::ConsumerPump pump(core::amqp::AmqpNodes::parse(test::amqpUrl()), options, 2, 1,
                                metrics, "pump");
        core::StopToken stop;
        std::jthread thread([&] { pump.run(stop); });
        struct StopPump {
            core::StopToken& token;
            ~StopPump() { token.requestStop(); }
        } stopPump{stop};
        std::uint64_t epoch = 0;
        for (int i = 0; i < 150 && epoch == 0; ++i)
            epoch = pump.waitConnected(std::chrono::milliseconds(200));
        CPPUNIT_ASSERT(epoch != 0);

        const Pumped first = next(pump, epoch);
        const Pumped second = next(pump, epoch);
        const std::uint64_t tag = first.delivery.deliveryTag;
        // Another lane's nack of it is ignored; its own lane's, asked twice, goes out once.
        CPPUNIT_ASSERT(pump.settle(1 - first.lane, {tag}, false, true, epoch));
        CPPUNIT_ASSERT(pump.settle(first.lane, {tag, tag}, false, true, epoch));
        CPPUNIT_ASSERT(pump.settle(first.lane, {tag}, false, true, epoch));
        const Pumped back = next(pump, epoch);
        CPPUNIT_ASSERT(back.delivery.redelivered);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), metrics.givenBack.load());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), metrics.settleFrames.load());

        // One at a time: asked together, they would go out as one "multiple" frame.
        CPPUNIT_ASSERT(pump.settle(second.lane, {second.delivery.deliveryTag}, true, false, epoch));
        CPPUNIT_ASSERT(framesReach(metrics, 2));
        CPPUNIT_ASSERT(pump.settle(back.lane, {back.delivery.deliveryTag}, true, false, epoch));
        CPPUNIT_ASSERT(framesReach(metrics, 3));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), metrics.givenBack.load());
        CPPUNIT_ASSERT_EQUAL(0, test::queueDepth(bus.queue));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConsumerPumpSettleTest);
