// AmqpPublisher against the real RabbitMQ (MSGBUS_TEST_AMQP_URL): confirms, returns, missing
// exchanges, nacks, timeouts, recovery, and the publish rate.
#include "core/amqp/AmqpPublisher.h"
#include "core/amqp/AmqpConnection.h"
#include "core/amqp/AmqpConsumer.h"
#include "core/amqp/AmqpError.h"
#include "core/amqp/AmqpUrl.h"
#include "core/amqp/Topology.h"
#include "core/util/WakeSignal.h"

#include "support/AmqpTestSupport.h"
#include "support/PublishOutcomeAssert.h"
#include "support/ServiceOutage.h"
#include "support/TestEnv.h"

#include <msgbus/Id.h>

#include <amqp.h>
#include <amqp_framing.h>

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <iostream>
#include <limits>
#include <optional>
#include <string>
#include <thread>
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

// A message with every property set and headers of many kinds; the body is binary (NULs,
// every byte value) and every 250th body spans several frames.
WireMessage makeWire(int i, const std::string& user) {
    WireMessage w;
    std::string body = "message " + std::to_string(i) + std::string("\0", 1);
    for (int b = 0; b < 256; ++b)
        body += static_cast<char>((b + i) & 0xff);
    if (i % 250 == 0)
        body += std::string(300000, static_cast<char>(i & 0x7f));
    w.body = body;
    std::string id = msgbus::Id::generate().toString();
    auto& p = w.properties;
    p.contentType = "application/octet-stream";
    if (i % 2)
        p.contentEncoding = "identity";
    if (i % 3 == 0)
        p.deliveryMode = 2; // else left to the publisher's default (2)
    p.priority = static_cast<std::uint8_t>(i % 10);
    p.correlationId = "corr-" + std::to_string(i);
    p.replyTo = "reply.queue";
    p.expiration = "600000";
    p.messageId = id;
    p.timestamp = 1700000000 + i;
    p.type = "test.message";
    p.userId = user; // RabbitMQ refuses a user_id other than the connection's user
    p.appId = "AmqpPublisherTest";
    w.headers = {
        {"x-message-id", FieldValue::ofString(id)},
        {"x-message-name", FieldValue::ofString("test.message")},
        {"x-created-at", FieldValue::ofInt64(1700000000000LL + i)},
        {"flag", FieldValue::ofBool(i % 2 == 0)},
        {"i8", FieldValue::ofInteger(FieldKind::Int8, -100)},
        {"i16", FieldValue::ofInteger(FieldKind::Int16, -30000)},
        {"i32", FieldValue::ofInt32(-i)},
        {"bin", FieldValue::ofBytes(std::string("\x00\xff\x01", 3) + std::to_string(i))},
        {"f32", FieldValue::ofReal(FieldKind::Float, 1.5f + static_cast<float>(i))},
        {"f64", FieldValue::ofReal(FieldKind::Double, 1.0 / (i + 3))},
        {"price", FieldValue::ofDecimal(2, 12345 + i)},
        {"when", FieldValue::ofTimestamp(1700000000 + i)},
        {"list", FieldValue::ofArray({FieldValue::ofString("a"), FieldValue::ofInt32(i),
                                      FieldValue::ofBool(false)})},
        {"nested",
         FieldValue::ofTable({{"k", FieldValue::ofString("v")}, {"n", FieldValue::ofInt64(-i)}})},
        {"nothing", FieldValue::ofVoid()},
    };
    return w;
}

// What the consumer must see: the publisher defaults delivery_mode to 2.
WireMessage expectedOnWire(WireMessage wire) {
    if (!wire.properties.deliveryMode)
        wire.properties.deliveryMode = 2;
    return wire;
}

using msgbus::test::assertResult;

} // namespace

class AmqpPublisherTest : public msgbus::test::AmqpFixture {
    CPPUNIT_TEST_SUITE(AmqpPublisherTest);
    CPPUNIT_TEST(testThousandMessagesConfirmedAndConsumedByteForByte);
    CPPUNIT_TEST(testUnroutableMessageReportedWhileOthersConfirmed);
    CPPUNIT_TEST(testMissingExchangeReportedWhileOthersConfirmedAndPublisherRecovers);
    CPPUNIT_TEST(testExchangeDeletedAfterCheckFailsBatchThenReportsUnroutable);
    CPPUNIT_TEST(testNackedWhenQueueRejectsPublish);
    CPPUNIT_TEST(testUnencodableMessagesAreIsolated);
    CPPUNIT_TEST(testSmallConfirmWindowStillConfirmsEverything);
    CPPUNIT_TEST(testConfirmTimeoutReportsNotConfirmedAndReconnects);
    CPPUNIT_TEST(testKeepAliveHoldsAnIdleConnection);
    CPPUNIT_TEST(testCloseThenPublishReconnects);
    CPPUNIT_TEST(testConnectionClosedByBrokerWhileIdleIsReplacedBeforeTheNextBatch);
    CPPUNIT_TEST(testUnreachableBrokerThrowsConnectionLost);
    CPPUNIT_TEST(testEmptyBatchDoesNotConnect);
    CPPUNIT_TEST(testTenThousandPublishRate);
    CPPUNIT_TEST(testPipelinedBatchesSettleIndependently);
    CPPUNIT_TEST(testAwaitOrWakeEndsOnTheWakeSignalAndThenWaitsForTheConfirms);
    CPPUNIT_TEST(testReturnsAreMatchedAcrossBatchesInFlight);
    CPPUNIT_TEST(testTimeoutOfOneBatchFailsEveryBatchInFlight);
    CPPUNIT_TEST(testMissingExchangeWhileAnotherBatchIsInFlight);
    CPPUNIT_TEST_SUITE_END();

    std::vector<OutgoingMessage> messages(const std::string& exchange, const std::string& key,
                                          int first, int count) {
        std::vector<OutgoingMessage> batch;
        for (int i = first; i < first + count; ++i)
            batch.push_back(OutgoingMessage{static_cast<std::uint64_t>(i), exchange, key,
                                            makeWire(i, _url->user())});
        return batch;
    }

public:
    void testPipelinedBatchesSettleIndependently() {
        auto [exchange, queue] = declareBound("#");
        AmqpPublisher::Options options;
        options.confirmWindow = 600; // the third batch waits for confirms of the first ones
        AmqpPublisher publisher(*_url, options);
        auto a = publisher.submit(messages(exchange, "k", 1, 400), kConfirmTimeout);
        auto b = publisher.submit(messages(exchange, "k", 1001, 400), kConfirmTimeout);
        auto c = publisher.submit(messages(exchange, "k", 2001, 400), kConfirmTimeout);
        // Awaited out of order: each batch gets its own outcomes, tokens in submit order.
        for (auto [id, first] : {std::pair{b, 1001}, std::pair{a, 1}, std::pair{c, 2001}}) {
            auto outcomes = publisher.await(id);
            CPPUNIT_ASSERT_EQUAL(std::size_t(400), outcomes.size());
            for (std::size_t i = 0; i < outcomes.size(); ++i) {
                CPPUNIT_ASSERT_EQUAL(static_cast<std::uint64_t>(first + i), outcomes[i].token);
                assertResult(PublishResult::Confirmed, outcomes[i]);
            }
        }
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(1200), messageCount(queue));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), publisher.connectCount());
        CPPUNIT_ASSERT_THROW(publisher.await(a), msgbus::InvalidArgument); // awaited already
    }

    void testAwaitOrWakeEndsOnTheWakeSignalAndThenWaitsForTheConfirms() {
        auto [exchange, queue] = declareBound("#");
        AmqpPublisher publisher(*_url);
        msgbus::core::WakeSignal rung;
        auto a = publisher.submit(messages(exchange, "k", 1, 3), kConfirmTimeout);
        // Rung before the confirms were read: the wait ends at once, nothing collected...
        rung.signal();
        CPPUNIT_ASSERT(!publisher.awaitOrWake(a, rung.fd()));
        // ...and the caller may publish more before it waits again.
        auto b = publisher.submit(messages(exchange, "k", 101, 2), kConfirmTimeout);
        rung.drain();
        CPPUNIT_ASSERT(publisher.awaitOrWake(a, rung.fd()));
        for (const auto& outcome : publisher.await(a))
            assertResult(PublishResult::Confirmed, outcome);
        for (const auto& outcome : publisher.await(b))
            assertResult(PublishResult::Confirmed, outcome);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(5), messageCount(queue));
        CPPUNIT_ASSERT_THROW(publisher.awaitOrWake(a, rung.fd()), msgbus::InvalidArgument);
    }

    void testReturnsAreMatchedAcrossBatchesInFlight() {
        auto [exchange, queue] = declareBound("bound.#");
        AmqpPublisher publisher(*_url);
        auto first = messages(exchange, "bound.a", 1, 20);
        first[3].routingKey = "nowhere";
        auto second = messages(exchange, "bound.b", 101, 20);
        second[7].routingKey = "nowhere";
        auto a = publisher.submit(first, kConfirmTimeout);
        auto b = publisher.submit(second, kConfirmTimeout);
        // Awaiting b reads a's returns and confirms too; each must settle its own message.
        auto outcomesB = publisher.await(b);
        auto outcomesA = publisher.await(a);
        for (int i = 0; i < 20; ++i) {
            assertResult(i == 3 ? PublishResult::Unroutable : PublishResult::Confirmed,
                         outcomesA[i]);
            assertResult(i == 7 ? PublishResult::Unroutable : PublishResult::Confirmed,
                         outcomesB[i]);
        }
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(38), messageCount(queue));
    }

    void testTimeoutOfOneBatchFailsEveryBatchInFlight() {
        auto [exchange, queue] = declareBound("#");
        AmqpPublisher publisher(*_url);
        // Connected before the broker stops reading (a blocked broker would not open one).
        for (const PublishOutcome& o :
             publisher.publishBatch(messages(exchange, "k", 901, 1), kConfirmTimeout))
            assertResult(PublishResult::Confirmed, o);
        // A frozen broker confirms nothing: awaiting the first batch (0 ms) tears the
        // connection down, and the second batch's confirms can no longer arrive either.
        std::optional<msgbus::test::FrozenRabbitMq> frozen(std::in_place);
        auto a = publisher.submit(messages(exchange, "k", 1, 50), std::chrono::milliseconds(0));
        auto b = publisher.submit(messages(exchange, "k", 101, 50), kConfirmTimeout);
        for (const PublishOutcome& o : publisher.await(a)) {
            assertResult(PublishResult::NotConfirmed, o);
            CPPUNIT_ASSERT_MESSAGE(o.error,
                                   o.error.find("no publisher confirm") != std::string::npos);
        }
        CPPUNIT_ASSERT(!publisher.isConnected());
        for (const PublishOutcome& o : publisher.await(b)) {
            assertResult(PublishResult::NotConfirmed, o);
            CPPUNIT_ASSERT_MESSAGE(o.error, o.error.find("torn down") != std::string::npos);
        }
        frozen.reset();
        // Everything unknown is published again on a new connection.
        for (const PublishOutcome& o :
             publisher.publishBatch(messages(exchange, "k", 1, 50), kConfirmTimeout))
            assertResult(PublishResult::Confirmed, o);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), publisher.connectCount());
    }

    void testMissingExchangeWhileAnotherBatchIsInFlight() {
        auto [exchange, queue] = declareBound("#");
        AmqpPublisher publisher(*_url);
        // The check of the missing exchange closes the channel; the batch in flight on it is
        // confirmed before the check, so none of its confirms is lost or misread.
        auto a = publisher.submit(messages(exchange, "k", 1, 300), kConfirmTimeout);
        auto second = messages(exchange, "k", 1001, 10);
        second[4].exchange = uniqueName("missing");
        auto b = publisher.submit(second, kConfirmTimeout);
        auto c = publisher.submit(messages(exchange, "k", 2001, 300), kConfirmTimeout);
        for (const PublishOutcome& o : publisher.await(a))
            assertResult(PublishResult::Confirmed, o);
        auto outcomesB = publisher.await(b);
        for (int i = 0; i < 10; ++i)
            assertResult(i == 4 ? PublishResult::Unroutable : PublishResult::Confirmed,
                         outcomesB[i]);
        for (const PublishOutcome& o : publisher.await(c))
            assertResult(PublishResult::Confirmed, o);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(609), messageCount(queue));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), publisher.connectCount());
    }

    void testThousandMessagesConfirmedAndConsumedByteForByte() {
        auto [exchange, queue] = declareBound("test.#");
        std::vector<OutgoingMessage> batch;
        for (int i = 0; i < 1000; ++i)
            batch.push_back(OutgoingMessage{static_cast<std::uint64_t>(i + 1), exchange,
                                            "test.message." + std::to_string(i % 5),
                                            makeWire(i, _url->user())});
        AmqpPublisher publisher(*_url);
        std::vector<PublishOutcome> outcomes = publisher.publishBatch(batch, kConfirmTimeout);
        CPPUNIT_ASSERT_EQUAL(batch.size(), outcomes.size());
        for (std::size_t i = 0; i < outcomes.size(); ++i) {
            CPPUNIT_ASSERT_EQUAL(batch[i].token, outcomes[i].token);
            assertResult(PublishResult::Confirmed, outcomes[i]);
            CPPUNIT_ASSERT(outcomes[i].error.empty());
        }
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(1000), messageCount(queue));

        AmqpConsumer::Options options;
        options.queue = queue;
        AmqpConsumer consumer(*_url, options);
        consumer.connect();
        for (std::size_t i = 0; i < batch.size(); ++i) {
            std::optional<Delivery> d = consumer.next(std::chrono::seconds(10));
            CPPUNIT_ASSERT_MESSAGE("delivery " + std::to_string(i) + " missing", d.has_value());
            CPPUNIT_ASSERT_EQUAL(exchange, d->exchange);
            CPPUNIT_ASSERT_EQUAL(batch[i].routingKey, d->routingKey);
            CPPUNIT_ASSERT(!d->redelivered);
            WireMessage expected = expectedOnWire(batch[i].wire);
            CPPUNIT_ASSERT(expected.body == d->wire.body);
            CPPUNIT_ASSERT(expected.properties == d->wire.properties);
            CPPUNIT_ASSERT_EQUAL(expected.headers.size(), d->wire.headers.size());
            for (std::size_t h = 0; h < expected.headers.size(); ++h) {
                CPPUNIT_ASSERT_EQUAL(expected.headers[h].key, d->wire.headers[h].key);
                CPPUNIT_ASSERT_MESSAGE("message " + std::to_string(i) + " header " +
                                           expected.headers[h].key,
                                       expected.headers[h].value == d->wire.headers[h].value);
            }
            CPPUNIT_ASSERT(expected == d->wire);
            CPPUNIT_ASSERT(consumer.ack(d->deliveryTag, false, d->connectionEpoch));
        }
        CPPUNIT_ASSERT(!consumer.next(std::chrono::milliseconds(200)).has_value());
    }

    void testUnroutableMessageReportedWhileOthersConfirmed() {
        auto [exchange, queue] = declareBound("bound.#");
        std::vector<OutgoingMessage> batch;
        for (int i = 0; i < 10; ++i) {
            bool unroutable = i == 2 || i == 5 || i == 8;
            batch.push_back(OutgoingMessage{static_cast<std::uint64_t>(100 + i), exchange,
                                            unroutable ? "nowhere." + std::to_string(i)
                                                       : "bound." + std::to_string(i),
                                            makeWire(i + 1, _url->user())});
        }
        // Without message_id the return is matched by the x-message-id header.
        batch[8].wire.properties.messageId.reset();
        AmqpPublisher publisher(*_url);
        std::vector<PublishOutcome> outcomes = publisher.publishBatch(batch, kConfirmTimeout);
        CPPUNIT_ASSERT_EQUAL(std::size_t(10), outcomes.size());
        for (int i = 0; i < 10; ++i) {
            CPPUNIT_ASSERT_EQUAL(std::uint64_t(100 + i), outcomes[i].token);
            if (i == 2 || i == 5 || i == 8) {
                assertResult(PublishResult::Unroutable, outcomes[i]);
                const std::string& error = outcomes[i].error;
                CPPUNIT_ASSERT_MESSAGE(error, error.find("NO_ROUTE") == 0);
                CPPUNIT_ASSERT_MESSAGE(error, error.find("exchange '" + exchange + "'") !=
                                                  std::string::npos);
                CPPUNIT_ASSERT_MESSAGE(
                    error, error.find("routing key 'nowhere." + std::to_string(i) + "'") !=
                               std::string::npos);
                CPPUNIT_ASSERT_MESSAGE(error, error.find("312") != std::string::npos);
            } else {
                assertResult(PublishResult::Confirmed, outcomes[i]);
            }
        }
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(7), messageCount(queue));
        // The returns left nothing behind: the next batch on the same connection is clean.
        std::vector<OutgoingMessage> next{batch[0]};
        assertResult(PublishResult::Confirmed, publisher.publishBatch(next, kConfirmTimeout).at(0));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), publisher.connectCount());
    }

    void testMissingExchangeReportedWhileOthersConfirmedAndPublisherRecovers() {
        auto [exchange, queue] = declareBound("#");
        std::string missing = uniqueName("missing");
        std::vector<OutgoingMessage> batch;
        for (int i = 0; i < 6; ++i)
            batch.push_back(OutgoingMessage{static_cast<std::uint64_t>(i),
                                            i == 1 || i == 4 ? missing : exchange, "k",
                                            makeWire(i + 1, _url->user())});
        AmqpPublisher publisher(*_url);
        std::vector<PublishOutcome> outcomes = publisher.publishBatch(batch, kConfirmTimeout);
        for (int i = 0; i < 6; ++i) {
            if (i == 1 || i == 4) {
                assertResult(PublishResult::Unroutable, outcomes[i]);
                const std::string& error = outcomes[i].error;
                CPPUNIT_ASSERT_MESSAGE(
                    error, error.find("exchange '" + missing + "' does not exist") == 0);
                CPPUNIT_ASSERT_MESSAGE(error, error.find("404") != std::string::npos);
            } else {
                assertResult(PublishResult::Confirmed, outcomes[i]);
            }
        }
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(4), messageCount(queue));
        CPPUNIT_ASSERT(publisher.isConnected());

        // The publisher recovered on the same connection and publishes again.
        std::vector<OutgoingMessage> again;
        for (int i = 0; i < 3; ++i)
            again.push_back(OutgoingMessage{static_cast<std::uint64_t>(10 + i), exchange, "k",
                                            makeWire(10 + i, _url->user())});
        for (const PublishOutcome& o : publisher.publishBatch(again, kConfirmTimeout))
            assertResult(PublishResult::Confirmed, o);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(7), messageCount(queue));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), publisher.connectCount());
    }

    void testExchangeDeletedAfterCheckFailsBatchThenReportsUnroutable() {
        auto [exchange, queue] = declareBound("#");
        auto [other, otherQueue] = declareBound("#");
        AmqpPublisher publisher(*_url);
        std::vector<OutgoingMessage> batch{
            OutgoingMessage{1, exchange, "k", makeWire(1, _url->user())}};
        assertResult(PublishResult::Confirmed, publisher.publishBatch(batch, kConfirmTimeout)[0]);

        // Deleted behind the publisher's back: its cache says the exchange exists, so it
        // publishes and the broker closes the channel with 404.
        {
            AmqpConnection admin(*_url, {});
            amqp_exchange_delete(admin.state(), admin.channel(), amqpBytes(exchange), 0);
            admin.checkRpcReply("exchange.delete");
        }
        std::vector<OutgoingMessage> doomed;
        for (int i = 0; i < 5; ++i)
            doomed.push_back(OutgoingMessage{static_cast<std::uint64_t>(i), exchange, "k",
                                             makeWire(i, _url->user())});
        for (const PublishOutcome& o : publisher.publishBatch(doomed, kConfirmTimeout)) {
            assertResult(PublishResult::NotConfirmed, o);
            CPPUNIT_ASSERT_MESSAGE(o.error, o.error.find("NOT_FOUND") != std::string::npos);
        }
        CPPUNIT_ASSERT(publisher.isConnected());
        // Now checked again: reported without publishing; other exchanges unaffected.
        doomed.push_back(OutgoingMessage{99, other, "k", makeWire(99, _url->user())});
        std::vector<PublishOutcome> outcomes = publisher.publishBatch(doomed, kConfirmTimeout);
        for (std::size_t i = 0; i + 1 < outcomes.size(); ++i) {
            assertResult(PublishResult::Unroutable, outcomes[i]);
            CPPUNIT_ASSERT(outcomes[i].error.find("does not exist") != std::string::npos);
        }
        assertResult(PublishResult::Confirmed, outcomes.back());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), publisher.connectCount());
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(1), messageCount(otherQueue));
    }

    void testNackedWhenQueueRejectsPublish() {
        std::string exchange = uniqueName("x");
        std::string queue = uniqueName("q");
        addExchange(exchange);
        addQueue(queue);
        {
            AmqpConnection admin(*_url, {});
            declareTopology(admin, TopologySpec{{ExchangeSpec{exchange, "topic", false}}, {}});
            amqp_table_entry_t args[2];
            args[0].key = amqp_cstring_bytes("x-max-length");
            args[0].value.kind = AMQP_FIELD_KIND_I64;
            args[0].value.value.i64 = 2;
            args[1].key = amqp_cstring_bytes("x-overflow");
            args[1].value.kind = AMQP_FIELD_KIND_UTF8;
            args[1].value.value.bytes = amqp_cstring_bytes("reject-publish");
            amqp_queue_declare(admin.state(), admin.channel(), amqpBytes(queue), 0, 0, 0, 0,
                               amqp_table_t{2, args});
            admin.checkRpcReply("queue.declare");
            amqp_queue_bind(admin.state(), admin.channel(), amqpBytes(queue), amqpBytes(exchange),
                            amqp_cstring_bytes("#"), amqp_empty_table);
            admin.checkRpcReply("queue.bind");
        }
        std::vector<OutgoingMessage> batch;
        for (int i = 0; i < 5; ++i)
            batch.push_back(OutgoingMessage{static_cast<std::uint64_t>(i), exchange, "k",
                                            makeWire(i + 1, _url->user())});
        AmqpPublisher publisher(*_url);
        std::vector<PublishOutcome> outcomes = publisher.publishBatch(batch, kConfirmTimeout);
        assertResult(PublishResult::Confirmed, outcomes[0]);
        assertResult(PublishResult::Confirmed, outcomes[1]);
        for (int i = 2; i < 5; ++i) {
            assertResult(PublishResult::Nacked, outcomes[i]);
            CPPUNIT_ASSERT(outcomes[i].error.find("nack") != std::string::npos);
        }
        CPPUNIT_ASSERT(publisher.isConnected());
    }

    void testUnencodableMessagesAreIsolated() {
        auto [exchange, queue] = declareBound("#");
        std::vector<OutgoingMessage> batch;
        for (int i = 0; i < 5; ++i)
            batch.push_back(OutgoingMessage{static_cast<std::uint64_t>(i), exchange, "k",
                                            makeWire(i + 1, _url->user())});
        batch[1].wire.headers.push_back(
            {"too-big-for-int8", FieldValue::ofInteger(FieldKind::Int8, 1000)});
        // A header frame cannot be split: 200 KB of headers exceed frame_max (128 KB).
        batch[3].wire.headers.push_back({"huge", FieldValue::ofString(std::string(200000, 'h'))});
        batch[4].routingKey = std::string(300, 'r');
        // RabbitMQ's header parser cannot read NaN/Infinity and would close the connection
        // (541), taking every message in flight with it.
        batch.push_back(OutgoingMessage{5, exchange, "k", makeWire(6, _url->user())});
        batch[5].wire.headers.push_back(
            {"inf",
             FieldValue::ofReal(FieldKind::Double, std::numeric_limits<double>::infinity())});
        batch.push_back(OutgoingMessage{6, exchange, "k", makeWire(7, _url->user())});
        batch[6].wire.headers.push_back(
            {"nan",
             FieldValue::ofReal(FieldKind::Float, std::numeric_limits<double>::quiet_NaN())});
        batch.push_back(OutgoingMessage{7, exchange, "k", makeWire(8, _url->user())});
        AmqpPublisher publisher(*_url);
        std::vector<PublishOutcome> outcomes = publisher.publishBatch(batch, kConfirmTimeout);
        assertResult(PublishResult::Confirmed, outcomes[0]);
        assertResult(PublishResult::Unroutable, outcomes[1]);
        CPPUNIT_ASSERT_MESSAGE(outcomes[1].error,
                               outcomes[1].error.find("too-big-for-int8") != std::string::npos);
        assertResult(PublishResult::Confirmed, outcomes[2]);
        assertResult(PublishResult::Unroutable, outcomes[3]);
        CPPUNIT_ASSERT_MESSAGE(outcomes[3].error,
                               outcomes[3].error.find("frame_max") != std::string::npos);
        assertResult(PublishResult::Unroutable, outcomes[4]);
        assertResult(PublishResult::Unroutable, outcomes[5]);
        CPPUNIT_ASSERT_MESSAGE(outcomes[5].error,
                               outcomes[5].error.find("541") != std::string::npos);
        assertResult(PublishResult::Unroutable, outcomes[6]);
        assertResult(PublishResult::Confirmed, outcomes[7]);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(3), messageCount(queue));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), publisher.connectCount());
    }

    void testSmallConfirmWindowStillConfirmsEverything() {
        auto [exchange, queue] = declareBound("#");
        AmqpPublisher::Options options;
        options.confirmWindow = 7;
        AmqpPublisher publisher(*_url, options);
        std::vector<OutgoingMessage> batch;
        for (int i = 1; i <= 500; ++i)
            batch.push_back(OutgoingMessage{static_cast<std::uint64_t>(i), exchange, "k",
                                            makeWire(i, _url->user())});
        std::vector<PublishOutcome> outcomes = publisher.publishBatch(batch, kConfirmTimeout);
        for (std::size_t i = 0; i < outcomes.size(); ++i) {
            CPPUNIT_ASSERT_EQUAL(batch[i].token, outcomes[i].token);
            assertResult(PublishResult::Confirmed, outcomes[i]);
        }
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(500), messageCount(queue));
    }

    void testConfirmTimeoutReportsNotConfirmedAndReconnects() {
        auto [exchange, queue] = declareBound("#");
        AmqpPublisher publisher(*_url);
        std::vector<OutgoingMessage> batch;
        for (int i = 0; i < 50; ++i)
            batch.push_back(OutgoingMessage{static_cast<std::uint64_t>(i), exchange, "k",
                                            makeWire(i + 1, _url->user())});
        // No confirm can arrive within 0 ms: everything is unknown, the connection is dropped.
        for (const PublishOutcome& o :
             publisher.publishBatch(batch, std::chrono::milliseconds(0))) {
            assertResult(PublishResult::NotConfirmed, o);
            CPPUNIT_ASSERT_MESSAGE(o.error,
                                   o.error.find("no publisher confirm") != std::string::npos);
        }
        CPPUNIT_ASSERT(!publisher.isConnected());
        for (const PublishOutcome& o : publisher.publishBatch(batch, kConfirmTimeout))
            assertResult(PublishResult::Confirmed, o);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), publisher.connectCount());
    }

    void testKeepAliveHoldsAnIdleConnection() {
        auto [exchange, queue] = declareBound("#");
        AmqpPublisher::Options options;
        options.connection.heartbeatSeconds = 1;
        AmqpPublisher publisher(*_url, options);
        std::vector<OutgoingMessage> batch{
            OutgoingMessage{1, exchange, "k", makeWire(1, _url->user())}};
        assertResult(PublishResult::Confirmed, publisher.publishBatch(batch, kConfirmTimeout)[0]);
        // Idle for more than two heartbeat intervals, serviced like the relay's poll loop.
        for (int i = 0; i < 16; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
            publisher.keepAlive();
        }
        CPPUNIT_ASSERT(publisher.isConnected());
        assertResult(PublishResult::Confirmed, publisher.publishBatch(batch, kConfirmTimeout)[0]);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), publisher.connectCount());
    }

    void testCloseThenPublishReconnects() {
        auto [exchange, queue] = declareBound("#");
        AmqpPublisher publisher(*_url);
        std::vector<OutgoingMessage> batch{
            OutgoingMessage{1, exchange, "k", makeWire(1, _url->user())}};
        assertResult(PublishResult::Confirmed, publisher.publishBatch(batch, kConfirmTimeout)[0]);
        publisher.close();
        CPPUNIT_ASSERT(!publisher.isConnected());
        publisher.keepAlive(); // never connects
        CPPUNIT_ASSERT(!publisher.isConnected());
        assertResult(PublishResult::Confirmed, publisher.publishBatch(batch, kConfirmTimeout)[0]);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), publisher.connectCount());
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(2), messageCount(queue));
    }

    void testConnectionClosedByBrokerWhileIdleIsReplacedBeforeTheNextBatch() {
        auto [exchange, queue] = declareBound("#");
        AmqpPublisher::Options options;
        options.connection.connectionName = uniqueName("publisher");
        AmqpPublisher publisher(*_url, options);
        std::vector<OutgoingMessage> batch{
            OutgoingMessage{1, exchange, "k", makeWire(1, _url->user())}};
        assertResult(PublishResult::Confirmed, publisher.publishBatch(batch, kConfirmTimeout)[0]);
        forceCloseConnection(options.connection.connectionName);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        // The unread connection.close is noticed before publishing: nothing is lost.
        assertResult(PublishResult::Confirmed, publisher.publishBatch(batch, kConfirmTimeout)[0]);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), publisher.connectCount());
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(2), messageCount(queue));
    }

    void testUnreachableBrokerThrowsConnectionLost() {
        AmqpPublisher::Options options;
        options.connection.connectTimeout = std::chrono::milliseconds(500);
        AmqpPublisher publisher(AmqpUrl("127.0.0.1", 1, "/", "u", "secret-pw-4711"), options);
        std::vector<OutgoingMessage> batch{OutgoingMessage{1, "x", "k", makeWire(1, "u")}};
        try {
            publisher.publishBatch(batch, kConfirmTimeout);
            CPPUNIT_FAIL("published to a closed port");
        } catch (const AmqpError& e) {
            CPPUNIT_ASSERT(e.connectionLost());
            CPPUNIT_ASSERT(std::string(e.what()).find("127.0.0.1:1") != std::string::npos);
            CPPUNIT_ASSERT(std::string(e.what()).find("secret-pw-4711") == std::string::npos);
        }
        CPPUNIT_ASSERT(!publisher.isConnected());
    }

    void testEmptyBatchDoesNotConnect() {
        AmqpPublisher publisher(AmqpUrl("127.0.0.1", 1, "/", "u", "p"));
        CPPUNIT_ASSERT(publisher.publishBatch({}, kConfirmTimeout).empty());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), publisher.connectCount());
    }

    // Not an assertion on speed (machines differ); proves there is no per-message round trip
    // by printing the rate, which a per-message confirm wait would cap near 1k msg/s.
    void testTenThousandPublishRate() {
        auto [exchange, queue] = declareBound("#");
        std::vector<OutgoingMessage> messages;
        for (int i = 0; i < 10000; ++i) {
            OutgoingMessage m{static_cast<std::uint64_t>(i), exchange, "rate.test", {}};
            m.wire.body = R"({"orderId":)" + std::to_string(i) +
                          R"(,"customer":"c-42","lines":[{"sku":"A-1","qty":2}],"total":"19.90"})";
            m.wire.properties.contentType = "application/json";
            m.wire.properties.messageId = msgbus::Id::generate().toString();
            m.wire.properties.type = "order.placed";
            m.wire.properties.timestamp = 1700000000;
            m.wire.headers = {{"x-message-id", FieldValue::ofString(*m.wire.properties.messageId)},
                              {"x-message-name", FieldValue::ofString("order.placed")},
                              {"x-created-at", FieldValue::ofInt64(1700000000000LL + i)}};
            messages.push_back(std::move(m));
        }
        AmqpPublisher publisher(*_url);
        publisher.publishBatch({messages[0]}, kConfirmTimeout); // connect + exchange check
        auto start = std::chrono::steady_clock::now();
        std::vector<PublishOutcome> outcomes = publisher.publishBatch(messages, kConfirmTimeout);
        double oneBatch = seconds(start);
        for (const PublishOutcome& o : outcomes)
            assertResult(PublishResult::Confirmed, o);

        // As the relay does it: batches of 500 (outbox.batch_size).
        start = std::chrono::steady_clock::now();
        for (std::size_t from = 0; from < messages.size(); from += 500) {
            std::vector<OutgoingMessage> slice(messages.begin() + from,
                                               messages.begin() + from + 500);
            for (const PublishOutcome& o : publisher.publishBatch(slice, kConfirmTimeout))
                assertResult(PublishResult::Confirmed, o);
        }
        double batchesOf500 = seconds(start);
        std::cout << "\n[AmqpPublisherTest] 10000 persistent publishes with confirms (window "
                  << AmqpPublisher::Options{}.confirmWindow << "): one batch " << oneBatch << " s ("
                  << static_cast<long>(10000 / oneBatch) << " msg/s); 20 batches of 500 "
                  << batchesOf500 << " s (" << static_cast<long>(10000 / batchesOf500)
                  << " msg/s)\n";
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(20001), messageCount(queue));
    }

private:
    static double seconds(std::chrono::steady_clock::time_point start) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AmqpPublisherTest);
