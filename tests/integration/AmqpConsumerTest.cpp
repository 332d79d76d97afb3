// AmqpConsumer against the real RabbitMQ (MSGBUS_TEST_AMQP_URL): prefetch, redelivery, epochs,
// broker cancel, and headers of every AMQP kind.
#include "core/amqp/AmqpConsumer.h"
#include "core/amqp/AmqpConnection.h"
#include "core/amqp/AmqpError.h"
#include "core/amqp/AmqpPublisher.h"
#include "core/amqp/AmqpUrl.h"
#include "core/amqp/Topology.h"

#include "support/AmqpTestSupport.h"
#include "support/TestEnv.h"

#include <msgbus/Id.h>

#include <amqp.h>
#include <amqp_framing.h>

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <limits>
#include <string>
#include <vector>

using namespace msgbus::core::amqp;
using msgbus::FieldKind;
using msgbus::FieldTable;
using msgbus::FieldValue;
using msgbus::WireMessage;
using msgbus::test::forceCloseConnection;
using msgbus::test::uniqueName;

namespace {

constexpr std::chrono::milliseconds kConfirmTimeout{30000};
constexpr std::chrono::seconds kWait{10};

// Every kind FieldValue.h lists, at its extremes, nested, with binary and non-UTF-8 bytes.
FieldTable everyKind() {
    const std::string raw("\x00\xff\xfe\x80\xc3\x28", 6);
    return FieldTable{
        {"x-message-id", FieldValue::ofString(msgbus::Id::generate().toString())},
        {"t", FieldValue::ofBool(true)},
        {"t-false", FieldValue::ofBool(false)},
        {"b", FieldValue::ofInteger(FieldKind::Int8, INT8_MIN)},
        {"B", FieldValue::ofInteger(FieldKind::UInt8, UINT8_MAX)},
        {"s", FieldValue::ofInteger(FieldKind::Int16, INT16_MIN)},
        {"u", FieldValue::ofInteger(FieldKind::UInt16, UINT16_MAX)},
        {"I", FieldValue::ofInteger(FieldKind::Int32, INT32_MIN)},
        {"i", FieldValue::ofInteger(FieldKind::UInt32, UINT32_MAX)},
        {"l", FieldValue::ofInteger(FieldKind::Int64, INT64_MIN)},
        {"l-max", FieldValue::ofInteger(FieldKind::Int64, INT64_MAX)},
        {"L", FieldValue::ofInteger(FieldKind::UInt64, static_cast<std::int64_t>(UINT64_MAX))},
        {"f", FieldValue::ofReal(FieldKind::Float, 1.0f / 3.0f)},
        {"f-min", FieldValue::ofReal(FieldKind::Float, -std::numeric_limits<float>::max())},
        {"d", FieldValue::ofReal(FieldKind::Double, 1.0 / 3.0)},
        {"d-min", FieldValue::ofReal(FieldKind::Double, std::numeric_limits<double>::denorm_min())},
        {"D", FieldValue::ofDecimal(3, 4294967295LL)},
        {"S", FieldValue::ofString("h\xc3\xa9llo \xf0\x9f\x98\x80")},
        {"S-raw", FieldValue::ofString(raw)},
        {"S-empty", FieldValue::ofString("")},
        {"x", FieldValue::ofBytes(raw)},
        {"x-empty", FieldValue::ofBytes("")},
        {"T", FieldValue::ofTimestamp(1700000000)},
        {"A", FieldValue::ofArray(
                  {FieldValue::ofString("a"), FieldValue::ofInteger(FieldKind::Int8, -1),
                   FieldValue::ofInteger(FieldKind::UInt64, 7), FieldValue::ofArray({}),
                   FieldValue::ofTable({{"k", FieldValue::ofBytes(raw)}}), FieldValue::ofVoid()})},
        {"A-empty", FieldValue::ofArray({})},
        {"F",
         FieldValue::ofTable(
             {{"k", FieldValue::ofString("v")},
              {"deeper", FieldValue::ofTable({{"n", FieldValue::ofInteger(FieldKind::UInt16, 1)},
                                              {"list", FieldValue::ofArray({})}})}})},
        {"F-empty", FieldValue::ofTable({})},
        {"V", FieldValue::ofVoid()},
    };
}

} // namespace

class AmqpConsumerTest : public msgbus::test::AmqpFixture {
    CPPUNIT_TEST_SUITE(AmqpConsumerTest);
    CPPUNIT_TEST(testHeadersOfEveryKindRoundTrip);
    CPPUNIT_TEST(testPrefetchIsRespected);
    CPPUNIT_TEST(testUnackedDeliveryComesBackRedeliveredAfterClose);
    CPPUNIT_TEST(testAckWithStaleEpochIsIgnored);
    CPPUNIT_TEST(testNackWithRequeueRedelivers);
    CPPUNIT_TEST(testNextReturnsNulloptWhenIdle);
    CPPUNIT_TEST(testQueueDeletionCancelsTheConsumer);
    CPPUNIT_TEST(testConnectionClosedByBrokerThrowsConnectionLostAndReconnects);
    CPPUNIT_TEST(testDoubleAckClosesTheChannelAndThrows);
    CPPUNIT_TEST(testConnectToMissingQueueNamesIt);
    CPPUNIT_TEST(testNextWithoutConnectThrowsConnectionLost);
    CPPUNIT_TEST_SUITE_END();

public:
    void testHeadersOfEveryKindRoundTrip() {
        auto [exchange, queue] = declareBound();
        WireMessage wire;
        wire.body = std::string("\x00\x01 body \xff", 9);
        wire.properties.messageId = "every-kind";
        wire.properties.deliveryMode = 2;
        wire.headers = everyKind();
        publish(exchange, "every.kind", {wire});

        AmqpConsumer consumer(*_url, options(queue));
        consumer.connect();
        std::optional<Delivery> d = consumer.next(kWait);
        CPPUNIT_ASSERT(d.has_value());
        CPPUNIT_ASSERT_EQUAL(exchange, d->exchange);
        CPPUNIT_ASSERT_EQUAL(std::string("every.kind"), d->routingKey);
        CPPUNIT_ASSERT_EQUAL(wire.headers.size(), d->wire.headers.size());
        for (std::size_t i = 0; i < wire.headers.size(); ++i) {
            CPPUNIT_ASSERT_EQUAL(wire.headers[i].key, d->wire.headers[i].key);
            CPPUNIT_ASSERT_MESSAGE(
                "header " + wire.headers[i].key + " changed (kind '" +
                    std::string(1, msgbus::fieldKindByte(d->wire.headers[i].value.kind)) + "')",
                wire.headers[i].value == d->wire.headers[i].value);
        }
        CPPUNIT_ASSERT(wire == d->wire);
        CPPUNIT_ASSERT(consumer.ack(d->deliveryTag, false, d->connectionEpoch));
    }

    void testPrefetchIsRespected() {
        auto [exchange, queue] = declareBound();
        publish(exchange, "k", messages(20));
        AmqpConsumer::Options o = options(queue);
        o.prefetch = 5;
        AmqpConsumer consumer(*_url, o);
        consumer.connect();
        std::vector<Delivery> held;
        for (int i = 0; i < 5; ++i) {
            std::optional<Delivery> d = consumer.next(kWait);
            CPPUNIT_ASSERT(d.has_value());
            held.push_back(*d);
        }
        // Five unacked: the broker sends no sixth.
        CPPUNIT_ASSERT(!consumer.next(std::chrono::milliseconds(700)).has_value());
        CPPUNIT_ASSERT(consumer.ack(held[0].deliveryTag, false, held[0].connectionEpoch));
        std::optional<Delivery> sixth = consumer.next(kWait);
        CPPUNIT_ASSERT(sixth.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("m5"), *sixth->wire.properties.messageId);
        CPPUNIT_ASSERT(!consumer.next(std::chrono::milliseconds(700)).has_value());
        // A multiple ack frees the rest of the window at once.
        CPPUNIT_ASSERT(consumer.ack(sixth->deliveryTag, true, sixth->connectionEpoch));
        for (int i = 0; i < 5; ++i)
            CPPUNIT_ASSERT(consumer.next(kWait).has_value());
        CPPUNIT_ASSERT(!consumer.next(std::chrono::milliseconds(500)).has_value());
    }

    void testUnackedDeliveryComesBackRedeliveredAfterClose() {
        auto [exchange, queue] = declareBound();
        publish(exchange, "k", messages(1));
        AmqpConsumer first(*_url, options(queue));
        first.connect();
        std::optional<Delivery> d = first.next(kWait);
        CPPUNIT_ASSERT(d.has_value());
        CPPUNIT_ASSERT(!d->redelivered);
        first.close();
        CPPUNIT_ASSERT(!first.isConnected());

        AmqpConsumer second(*_url, options(queue));
        second.connect();
        std::optional<Delivery> again = second.next(kWait);
        CPPUNIT_ASSERT(again.has_value());
        CPPUNIT_ASSERT(again->redelivered);
        CPPUNIT_ASSERT(d->wire == again->wire);
        CPPUNIT_ASSERT(second.ack(again->deliveryTag, false, again->connectionEpoch));
        second.close();
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(0), messageCount(queue));
    }

    void testAckWithStaleEpochIsIgnored() {
        auto [exchange, queue] = declareBound();
        publish(exchange, "k", messages(1));
        AmqpConsumer consumer(*_url, options(queue));
        consumer.connect();
        std::optional<Delivery> old = consumer.next(kWait);
        CPPUNIT_ASSERT(old.has_value());
        CPPUNIT_ASSERT_EQUAL(consumer.epoch(), old->connectionEpoch);

        consumer.connect(); // a rebuilt connection: the old tag is dead
        CPPUNIT_ASSERT(consumer.epoch() != old->connectionEpoch);
        std::optional<Delivery> fresh = consumer.next(kWait);
        CPPUNIT_ASSERT(fresh.has_value());
        CPPUNIT_ASSERT(fresh->redelivered);
        // Same tag number on the new channel: acking with the old epoch must not touch it.
        CPPUNIT_ASSERT_EQUAL(old->deliveryTag, fresh->deliveryTag);
        CPPUNIT_ASSERT(!consumer.ack(old->deliveryTag, false, old->connectionEpoch));
        CPPUNIT_ASSERT(!consumer.nack(old->deliveryTag, false, false, old->connectionEpoch));
        consumer.close();
        CPPUNIT_ASSERT(!consumer.ack(fresh->deliveryTag, false, fresh->connectionEpoch));
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(1), messageCount(queue));

        consumer.connect();
        std::optional<Delivery> last = consumer.next(kWait);
        CPPUNIT_ASSERT(last.has_value());
        CPPUNIT_ASSERT(consumer.ack(last->deliveryTag, false, last->connectionEpoch));
        consumer.close();
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(0), messageCount(queue));
    }

    void testNackWithRequeueRedelivers() {
        auto [exchange, queue] = declareBound();
        publish(exchange, "k", messages(2));
        AmqpConsumer consumer(*_url, options(queue));
        consumer.connect();
        std::optional<Delivery> a = consumer.next(kWait);
        CPPUNIT_ASSERT(a.has_value());
        CPPUNIT_ASSERT(consumer.nack(a->deliveryTag, false, true, a->connectionEpoch));
        std::optional<Delivery> b = consumer.next(kWait);
        std::optional<Delivery> c = consumer.next(kWait);
        CPPUNIT_ASSERT(b.has_value() && c.has_value());
        // The requeued one comes back flagged; the other arrives for the first time.
        const Delivery& requeued = b->redelivered ? *b : *c;
        const Delivery& other = b->redelivered ? *c : *b;
        CPPUNIT_ASSERT(requeued.redelivered);
        CPPUNIT_ASSERT(!other.redelivered);
        CPPUNIT_ASSERT(a->wire == requeued.wire);
        // nack without requeue drops it (no dead-letter exchange configured).
        CPPUNIT_ASSERT(consumer.nack(requeued.deliveryTag, false, false, requeued.connectionEpoch));
        CPPUNIT_ASSERT(consumer.ack(other.deliveryTag, false, other.connectionEpoch));
        CPPUNIT_ASSERT(!consumer.next(std::chrono::milliseconds(500)).has_value());
        consumer.close();
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(0), messageCount(queue));
    }

    void testNextReturnsNulloptWhenIdle() {
        auto [exchange, queue] = declareBound();
        AmqpConsumer::Options o = options(queue);
        o.heartbeatSeconds = 1;
        AmqpConsumer consumer(*_url, o);
        consumer.connect();
        auto start = std::chrono::steady_clock::now();
        // Idle across several heartbeat intervals: next() services them.
        for (int i = 0; i < 6; ++i)
            CPPUNIT_ASSERT(!consumer.next(std::chrono::milliseconds(600)).has_value());
        auto elapsed = std::chrono::steady_clock::now() - start;
        CPPUNIT_ASSERT(elapsed >= std::chrono::milliseconds(3500));
        CPPUNIT_ASSERT(consumer.isConnected());
        publish(exchange, "k", messages(1));
        CPPUNIT_ASSERT(consumer.next(kWait).has_value());
    }

    void testQueueDeletionCancelsTheConsumer() {
        auto [exchange, queue] = declareBound();
        AmqpConsumer consumer(*_url, options(queue));
        consumer.connect();
        {
            AmqpConnection admin(*_url, {});
            amqp_queue_delete(admin.state(), admin.channel(), amqpBytes(queue), 0, 0);
            admin.checkRpcReply("queue.delete");
        }
        try {
            consumer.next(kWait);
            CPPUNIT_FAIL("the consumer did not notice the broker's basic.cancel");
        } catch (const AmqpError& e) {
            CPPUNIT_ASSERT(e.connectionLost());
            CPPUNIT_ASSERT_MESSAGE(e.what(),
                                   std::string(e.what()).find("cancelled") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(e.what(),
                                   std::string(e.what()).find(queue) != std::string::npos);
        }
        CPPUNIT_ASSERT(!consumer.isConnected());
    }

    void testConnectionClosedByBrokerThrowsConnectionLostAndReconnects() {
        auto [exchange, queue] = declareBound();
        publish(exchange, "k", messages(1));
        AmqpConsumer::Options o = options(queue);
        o.connectionName = uniqueName("consumer");
        AmqpConsumer consumer(*_url, o);
        consumer.connect();
        std::optional<Delivery> d = consumer.next(kWait);
        CPPUNIT_ASSERT(d.has_value());
        forceCloseConnection(o.connectionName);
        try {
            consumer.next(kWait);
            CPPUNIT_FAIL("the consumer did not notice the connection.close");
        } catch (const AmqpError& e) {
            CPPUNIT_ASSERT(e.connectionLost());
            CPPUNIT_ASSERT_EQUAL(std::uint16_t(320), e.replyCode());
            CPPUNIT_ASSERT_MESSAGE(e.what(), std::string(e.what()).find("CONNECTION_FORCED") !=
                                                 std::string::npos);
        }
        CPPUNIT_ASSERT(!consumer.isConnected());
        CPPUNIT_ASSERT(!consumer.ack(d->deliveryTag, false, d->connectionEpoch));
        consumer.connect();
        std::optional<Delivery> again = consumer.next(kWait);
        CPPUNIT_ASSERT(again.has_value());
        CPPUNIT_ASSERT(again->redelivered);
        CPPUNIT_ASSERT(consumer.ack(again->deliveryTag, false, again->connectionEpoch));
    }

    void testDoubleAckClosesTheChannelAndThrows() {
        auto [exchange, queue] = declareBound();
        publish(exchange, "k", messages(2));
        AmqpConsumer consumer(*_url, options(queue));
        consumer.connect();
        std::optional<Delivery> d = consumer.next(kWait);
        CPPUNIT_ASSERT(d.has_value());
        CPPUNIT_ASSERT(consumer.ack(d->deliveryTag, false, d->connectionEpoch));
        CPPUNIT_ASSERT(consumer.ack(d->deliveryTag, false, d->connectionEpoch));
        // The broker answers the unknown tag with channel.close 406; the second message may
        // or may not have been delivered before that.
        try {
            for (int i = 0; i < 3; ++i)
                consumer.next(kWait);
            CPPUNIT_FAIL("the consumer did not notice the channel.close");
        } catch (const AmqpError& e) {
            CPPUNIT_ASSERT(e.connectionLost());
            CPPUNIT_ASSERT_EQUAL(std::uint16_t(406), e.replyCode());
            CPPUNIT_ASSERT_MESSAGE(e.what(), std::string(e.what()).find("unknown delivery tag") !=
                                                 std::string::npos);
        }
        CPPUNIT_ASSERT(!consumer.isConnected());
    }

    void testConnectToMissingQueueNamesIt() {
        std::string missing = uniqueName("missing");
        AmqpConsumer consumer(*_url, options(missing));
        try {
            consumer.connect();
            CPPUNIT_FAIL("consumed from a missing queue");
        } catch (const AmqpError& e) {
            CPPUNIT_ASSERT_EQUAL(std::uint16_t(404), e.replyCode());
            CPPUNIT_ASSERT_MESSAGE(e.what(),
                                   std::string(e.what()).find(missing) != std::string::npos);
        }
        CPPUNIT_ASSERT(!consumer.isConnected());
    }

    void testNextWithoutConnectThrowsConnectionLost() {
        AmqpConsumer consumer(*_url, options("whatever"));
        try {
            consumer.next(std::chrono::milliseconds(10));
            CPPUNIT_FAIL("next() without connect()");
        } catch (const AmqpError& e) {
            CPPUNIT_ASSERT(e.connectionLost());
        }
        CPPUNIT_ASSERT(!consumer.ack(1, false, consumer.epoch()));
    }

private:
    static AmqpConsumer::Options options(const std::string& queue) {
        AmqpConsumer::Options o;
        o.queue = queue;
        o.connectionName = "AmqpConsumerTest";
        return o;
    }

    static std::vector<WireMessage> messages(int n) {
        std::vector<WireMessage> out;
        for (int i = 0; i < n; ++i) {
            WireMessage w;
            w.body = "body " + std::to_string(i);
            w.properties.messageId = "m" + std::to_string(i);
            w.headers = {{"x-message-id", FieldValue::ofString("m" + std::to_string(i))}};
            out.push_back(std::move(w));
        }
        return out;
    }

    void publish(const std::string& exchange, const std::string& key,
                 const std::vector<WireMessage>& wires) {
        std::vector<OutgoingMessage> batch;
        for (std::size_t i = 0; i < wires.size(); ++i)
            batch.push_back(OutgoingMessage{i, exchange, key, wires[i]});
        AmqpPublisher publisher(*_url);
        for (const PublishOutcome& o : publisher.publishBatch(batch, kConfirmTimeout))
            CPPUNIT_ASSERT_MESSAGE(o.error, o.result == PublishResult::Confirmed);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AmqpConsumerTest);
