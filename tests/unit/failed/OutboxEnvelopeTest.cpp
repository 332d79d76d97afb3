// OutboxEnvelope: the failed row of an outbox message, written by the relay and read back by
// failed:retry.
#include "core/failed/OutboxEnvelope.h"
#include "core/failed/StoredEnvelope.h"

#include <msgbus/Error.h>

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus;
using namespace msgbus::core;

namespace {

Message placedOrder() {
    Message message("order.placed", R"({"n":1})");
    message.setId(Id::parse("0190a6a8-6e2b-7c3d-8e4f-0123456789ab"));
    message.setCreatedAt(1'700'000'000'123);
    message.setHeader("x-tenant", "acme");
    message.setPartitionKey("customer-7");
    return message;
}

/// The failed row the relay stores for message.
FailedRecord recordOf(const Message& message) {
    FailedRecord record;
    record.source = OutboxEnvelope::source;
    record.messageId = message.id();
    record.messageName = message.name();
    record.body = message.payload();
    record.envelopeJson = OutboxEnvelope::encode(message);
    return record;
}

} // namespace

class OutboxEnvelopeTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OutboxEnvelopeTest);
    CPPUNIT_TEST(testEncodeWritesTheStoredEnvelopeFormat);
    CPPUNIT_TEST(testDecodeGivesBackTheMessageThatWasEncoded);
    CPPUNIT_TEST(testAMessageWithoutKeyComesBackWithoutKey);
    CPPUNIT_TEST(testNonStringHeadersAreNotMessageHeaders);
    CPPUNIT_TEST(testAnUnreadableRowDecodesWithoutIdOrHeaders);
    CPPUNIT_TEST(testABrokenEnvelopeIsRefused);
    CPPUNIT_TEST(testANameTheColumnCouldNotHoldComesFromTheEnvelope);
    CPPUNIT_TEST(testEncodedCarriesTheMessagesIdentity);
    CPPUNIT_TEST(testEncodedHeadersAreStringsThenPartitionKeyThenCreatedAt);
    CPPUNIT_TEST(testEncodedWithoutPartitionKeyHasNoSuchHeader);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEncodeWritesTheStoredEnvelopeFormat() {
        CPPUNIT_ASSERT_EQUAL(
            std::string(
                R"({"properties":{"message_id":"0190a6a8-6e2b-7c3d-8e4f-0123456789ab",)"
                R"("timestamp":1700000000,"type":"order.placed"},)"
                R"("headers":{"x-tenant":{"S":"acme"},"x-partition-key":{"S":"customer-7"},)"
                R"("x-created-at":{"l":1700000000123}}})"),
            OutboxEnvelope::encode(placedOrder()));
    }

    void testDecodeGivesBackTheMessageThatWasEncoded() {
        const Message original = placedOrder();
        const Message back = OutboxEnvelope::decode(recordOf(original));
        CPPUNIT_ASSERT(back.id() == original.id());
        CPPUNIT_ASSERT_EQUAL(original.name(), back.name());
        CPPUNIT_ASSERT_EQUAL(original.payload(), back.payload());
        CPPUNIT_ASSERT_EQUAL(original.createdAt(), back.createdAt());
        CPPUNIT_ASSERT(back.partitionKey() && *back.partitionKey() == "customer-7");
        CPPUNIT_ASSERT(back.headers() == original.headers());
    }

    void testAMessageWithoutKeyComesBackWithoutKey() {
        Message original = placedOrder();
        original.clearPartitionKey();
        const Message back = OutboxEnvelope::decode(recordOf(original));
        CPPUNIT_ASSERT(!back.partitionKey());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), back.headers().size());
    }

    void testNonStringHeadersAreNotMessageHeaders() {
        FailedRecord record = recordOf(placedOrder());
        record.envelopeJson = R"({"properties":{},"headers":{"x-tenant":{"S":"acme"},)"
                              R"("x-count":{"I":3},"x-created-at":{"S":"not a number"}}})";
        const Message back = OutboxEnvelope::decode(record);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), back.headers().size());
        CPPUNIT_ASSERT_EQUAL(std::string("acme"), back.headers().at("x-tenant"));
        // A text x-created-at is an ordinary header, not the creation time.
        CPPUNIT_ASSERT_EQUAL(std::string("not a number"), back.headers().at("x-created-at"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), back.createdAt());
    }

    void testAnUnreadableRowDecodesWithoutIdOrHeaders() {
        FailedRecord record;
        record.messageName = "order.placed";
        record.body = "{}";
        record.envelopeJson = OutboxEnvelope::unreadable();
        const Message back = OutboxEnvelope::decode(record);
        CPPUNIT_ASSERT(!back.hasId());
        CPPUNIT_ASSERT(back.headers().empty());
        CPPUNIT_ASSERT(!back.partitionKey());
        CPPUNIT_ASSERT_EQUAL(std::string("order.placed"), back.name());
    }

    void testABrokenEnvelopeIsRefused() {
        FailedRecord record = recordOf(placedOrder());
        record.envelopeJson = "{not json";
        CPPUNIT_ASSERT_THROW(OutboxEnvelope::decode(record), InvalidArgument);
    }

    void testEncodedCarriesTheMessagesIdentity() {
        Message m("orders.PlaceOrder", "{}");
        const Id id = Id::generate();
        m.setId(id);
        m.setCreatedAt(1700000000999);
        const WireMessage back = envelopeFromJson(OutboxEnvelope::encode(m), "");
        CPPUNIT_ASSERT_EQUAL(id.toString(), *back.properties.messageId);
        CPPUNIT_ASSERT_EQUAL(std::string("orders.PlaceOrder"), *back.properties.type);
        // AMQP timestamps are whole seconds: cut, not rounded.
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1700000000), *back.properties.timestamp);
        CPPUNIT_ASSERT(!back.properties.contentType);
    }

    void testEncodedHeadersAreStringsThenPartitionKeyThenCreatedAt() {
        Message m("orders.PlaceOrder", "{}");
        m.setId(Id::generate());
        m.setCreatedAt(1700000000123);
        m.setHeader("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        m.setHeader("correlation-id", "order-42");
        m.setPartitionKey("customer-7");
        const WireMessage back = envelopeFromJson(OutboxEnvelope::encode(m), "");
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), back.headers.size());
        CPPUNIT_ASSERT_EQUAL(std::string("correlation-id"), back.headers[0].key);
        CPPUNIT_ASSERT(FieldValue::ofString("order-42") == back.headers[0].value);
        CPPUNIT_ASSERT_EQUAL(std::string("traceparent"), back.headers[1].key);
        CPPUNIT_ASSERT_EQUAL(std::string("x-partition-key"), back.headers[2].key);
        CPPUNIT_ASSERT(FieldValue::ofString("customer-7") == back.headers[2].value);
        CPPUNIT_ASSERT_EQUAL(std::string("x-created-at"), back.headers[3].key);
        CPPUNIT_ASSERT(FieldValue::ofInt64(1700000000123) == back.headers[3].value);
    }

    void testEncodedWithoutPartitionKeyHasNoSuchHeader() {
        Message m("orders.PlaceOrder", "{}");
        m.setId(Id::generate());
        const WireMessage back = envelopeFromJson(OutboxEnvelope::encode(m), "");
        CPPUNIT_ASSERT(!back.header("x-partition-key"));
        CPPUNIT_ASSERT(back.header("x-created-at"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), back.headers.size());
    }

    void testANameTheColumnCouldNotHoldComesFromTheEnvelope() {
        // The failed store leaves message_name empty for a name over 255 bytes or not UTF-8.
        const std::string name = "order." + std::string(300, 'x') + "\xff";
        Message message(name, "{}");
        message.setId(Id::generate());
        FailedRecord record = recordOf(message);
        record.messageName.reset();
        CPPUNIT_ASSERT_EQUAL(name, OutboxEnvelope::decode(record).name());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OutboxEnvelopeTest);
