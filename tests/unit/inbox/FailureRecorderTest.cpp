// FailureRecorder: the retry or failed row a failed message gets, built without a database.
#include "core/inbox/FailureRecorder.h"

#include <cppunit/extensions/HelperMacros.h>

using msgbus::FieldValue;
using msgbus::Id;
using msgbus::WireMessage;
using msgbus::core::FailedRecord;
using msgbus::core::Failure;
using msgbus::core::FailureRecorder;
using msgbus::core::InboxItem;
using msgbus::core::PreparedMessage;
using msgbus::core::RetryPolicy;

namespace {

const char* const idText = "0190a6f2-3b4c-7d5e-8f60-1a2b3c4d5e6f";
constexpr std::int64_t now = 1'700'000'000'000;
const RetryPolicy::Decision retryLater{true, now + 4000};
const RetryPolicy::Decision failNow{false, now};

WireMessage wire() {
    WireMessage w;
    w.body = R"({"orderId":7})";
    w.properties.contentType = "application/json";
    w.headers.push_back({"x-message-id", FieldValue::ofString(idText)});
    w.headers.push_back({"x-message-name", FieldValue::ofString("order.placed")});
    return w;
}

} // namespace

class FailureRecorderTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FailureRecorderTest);
    CPPUNIT_TEST(testTransientFailureMakesARetryRowDueAfterTheBackoff);
    CPPUNIT_TEST(testPermanentFailureMakesAFailedRowKeepingWhatArrived);
    CPPUNIT_TEST(testHeadersThatCannotBeStoredMakeAFailedRowThatSaysWhy);
    CPPUNIT_TEST(testRetryRowMovesOnToItsNextAttempt);
    CPPUNIT_TEST(testRetryRowBecomesFailedAfterItsLastAttempt);
    CPPUNIT_TEST_SUITE_END();

public:
    void testTransientFailureMakesARetryRowDueAfterTheBackoff() {
        const WireMessage w = wire();
        const InboxItem item(&w, 1);
        PreparedMessage p;
        p.item = &item;
        const FailedRecord row = FailureRecorder::newRow(
            p, "amqp:orders", Failure{"HandlerFailed", "orders/PlaceOrder: boom", true}, retryLater,
            now);
        CPPUNIT_ASSERT_EQUAL(std::string("retry"), row.queueName);
        CPPUNIT_ASSERT_EQUAL(std::string("amqp:orders"), row.source);
        CPPUNIT_ASSERT_EQUAL(1, row.attempts);
        CPPUNIT_ASSERT_EQUAL(now, row.createdAt);
        CPPUNIT_ASSERT_EQUAL(now + 4000, row.availableAt);
        CPPUNIT_ASSERT(!row.failedAt);
        CPPUNIT_ASSERT_EQUAL(std::string("HandlerFailed"), row.errorClass);
        CPPUNIT_ASSERT_EQUAL(std::string("orders/PlaceOrder: boom"), row.errorMessage);
    }

    void testPermanentFailureMakesAFailedRowKeepingWhatArrived() {
        // Undecodable: the identity comes from the wire, the body as it arrived.
        const WireMessage w = wire();
        const InboxItem item(&w, 1);
        PreparedMessage p;
        p.item = &item;
        const FailedRecord row = FailureRecorder::newRow(
            p, "amqp:orders", Failure{"MalformedMessage", "body: not JSON", false}, failNow, now);
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), row.queueName);
        CPPUNIT_ASSERT(row.failedAt && *row.failedAt == now);
        CPPUNIT_ASSERT(row.messageId == Id::parse(idText));
        CPPUNIT_ASSERT(row.messageName == std::string("order.placed"));
        CPPUNIT_ASSERT_EQUAL(w.body, row.body);
        CPPUNIT_ASSERT(row.envelopeJson.find("\"x-message-name\"") != std::string::npos);
        CPPUNIT_ASSERT(row.envelopeJson.find("application/json") != std::string::npos);
    }

    void testHeadersThatCannotBeStoredMakeAFailedRowThatSaysWhy() {
        // A retry could not re-create the message: it fails now, whatever the failure was.
        WireMessage w = wire();
        w.headers.push_back({"x-weird", FieldValue::ofInteger(msgbus::FieldKind::Int8, 300)});
        const InboxItem item(&w, 1);
        PreparedMessage p;
        p.item = &item;
        const FailedRecord row = FailureRecorder::newRow(
            p, "amqp:orders", Failure{"HandlerFailed", "boom", true}, retryLater, now);
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), row.queueName);
        CPPUNIT_ASSERT(row.failedAt && *row.failedAt == now);
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), row.envelopeJson);
        CPPUNIT_ASSERT(row.errorMessage.rfind("boom [headers not stored: ", 0) == 0);
        CPPUNIT_ASSERT_EQUAL(w.body, row.body);
    }

    void testRetryRowMovesOnToItsNextAttempt() {
        FailedRecord row;
        row.queueName = "running";
        row.attempts = 1;
        row.createdAt = now - 10000;
        FailureRecorder::moveOn(row, Failure{"HandlerFailed", "still broken", true}, 2, retryLater,
                                now);
        CPPUNIT_ASSERT_EQUAL(std::string("retry"), row.queueName);
        CPPUNIT_ASSERT_EQUAL(2, row.attempts);
        CPPUNIT_ASSERT_EQUAL(now + 4000, row.availableAt);
        CPPUNIT_ASSERT_EQUAL(std::string("still broken"), row.errorMessage);
        CPPUNIT_ASSERT_EQUAL(now - 10000, row.createdAt);
        CPPUNIT_ASSERT(!row.failedAt);
    }

    void testRetryRowBecomesFailedAfterItsLastAttempt() {
        FailedRecord row;
        row.queueName = "running";
        row.attempts = 3;
        FailureRecorder::moveOn(row, Failure{"HandlerFailed", "gave up", true}, 4, failNow, now);
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), row.queueName);
        CPPUNIT_ASSERT_EQUAL(4, row.attempts);
        CPPUNIT_ASSERT(row.failedAt && *row.failedAt == now);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FailureRecorderTest);
