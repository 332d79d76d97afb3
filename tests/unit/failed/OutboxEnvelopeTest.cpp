// OutboxEnvelope: the failed row of an outbox message, written by the relay and read back by
// failed:retry.
#include "core/failed/OutboxEnvelope.h"

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
};

CPPUNIT_TEST_SUITE_REGISTRATION(OutboxEnvelopeTest);
