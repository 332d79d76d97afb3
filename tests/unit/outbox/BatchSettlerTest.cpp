// The failed-table row of an outbox row that will not go out.
#include "core/outbox/BatchSettler.h"

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus;
using namespace msgbus::core;

class BatchSettlerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BatchSettlerTest);
    CPPUNIT_TEST(testAReadableRowKeepsItsIdAndEnvelope);
    CPPUNIT_TEST(testAnUnreadableRowIsStoredWithoutAnId);
    CPPUNIT_TEST(testARowWithBrokenHeadersIsStoredWithoutThem);
    CPPUNIT_TEST_SUITE_END();

    static OutboxRow row() {
        OutboxRow r;
        r.seq = 9;
        r.name = "order.placed";
        r.headersJson = R"({"x-tenant":"acme"})";
        r.body = R"({"n":1})";
        r.createdAt = 1000;
        return r;
    }

public:
    void testAReadableRowKeepsItsIdAndEnvelope() {
        const OutboxRow r = row();
        auto record = failedRecordOf(r, {0, "NO_ROUTE"}, 10, 5000);
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), record.queueName);
        CPPUNIT_ASSERT_EQUAL(std::string("outbox"), record.source);
        CPPUNIT_ASSERT(record.messageId && *record.messageId == r.id);
        CPPUNIT_ASSERT_EQUAL(std::string("OutboxPublishFailed"), record.errorClass);
        CPPUNIT_ASSERT_EQUAL(std::string("NO_ROUTE"), record.errorMessage);
        CPPUNIT_ASSERT(record.envelopeJson.find("acme") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(r.body, record.body);
        CPPUNIT_ASSERT_EQUAL(10, record.attempts);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1000), record.createdAt);
        CPPUNIT_ASSERT(record.failedAt && *record.failedAt == 5000);
    }

    void testAnUnreadableRowIsStoredWithoutAnId() {
        OutboxRow r = row();
        r.readError = "message_id is NIL";
        auto record = failedRecordOf(r, {0, "message_id is NIL", true}, 1, 5000);
        CPPUNIT_ASSERT(!record.messageId);
        CPPUNIT_ASSERT_EQUAL(std::string("UnreadableOutboxRow"), record.errorClass);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"properties":{},"headers":{}})"), record.envelopeJson);
        CPPUNIT_ASSERT_EQUAL(r.body, record.body);
    }

    void testARowWithBrokenHeadersIsStoredWithoutThem() {
        OutboxRow r = row();
        r.headersJson = "{not json";
        auto record = failedRecordOf(r, {0, "bad headers"}, 3, 5000);
        CPPUNIT_ASSERT_EQUAL(std::string("OutboxPublishFailed"), record.errorClass);
        CPPUNIT_ASSERT(record.envelopeJson.find("not json") == std::string::npos);
        CPPUNIT_ASSERT(record.messageId);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BatchSettlerTest);
