// FailedStore on an in-memory SQLite database (no service): moving a retry row on only while it
// is as it was read, so that a row another host leased or an operator removed is left alone.
#include "core/failed/FailedStore.h"

#include "core/db/Database.h"
#include "core/db/Schema.h"

#include <Poco/Data/Session.h>

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus;
using namespace msgbus::core;

namespace {

const TableNames names;

Poco::Data::Session emptySchema() {
    Database::registerConnectors();
    Poco::Data::Session session("SQLite", ":memory:");
    for (const auto& sql : Schema::statements(Dialect::SQLite, names))
        session << sql, Poco::Data::Keywords::now;
    return session;
}

FailedRecord retryRow(int attempts) {
    FailedRecord r;
    r.queueName = "retry";
    r.source = "amqp:orders";
    r.messageId = Id::generate();
    r.messageName = "order.placed";
    r.envelopeJson = R"({"properties":{},"headers":{}})";
    r.body = "{}";
    r.errorClass = "HandlerFailed";
    r.errorMessage = "boom";
    r.attempts = attempts;
    r.createdAt = r.availableAt = 1'700'000'000'000;
    return r;
}

FailedRecord movedToFailed(FailedRecord r) {
    r.queueName = "failed";
    r.errorClass = "UnreadableRetryRow";
    r.failedAt = r.availableAt;
    return r;
}

} // namespace

class FailedStoreTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FailedStoreTest);
    CPPUNIT_TEST(testARowAsItWasReadIsMoved);
    CPPUNIT_TEST(testARowLeasedSinceIsLeftAlone);
    CPPUNIT_TEST(testARemovedRowIsNotMovedAndSaysSo);
    CPPUNIT_TEST(testAnExpiredLeaseReadAsRunningIsMoved);
    CPPUNIT_TEST_SUITE_END();

public:
    void testARowAsItWasReadIsMoved() {
        auto session = emptySchema();
        FailedStore store(Dialect::SQLite, names.failed);
        FailedRecord row = retryRow(2);
        row.id = store.insert(session, row);
        CPPUNIT_ASSERT(store.updateIfUnchanged(session, movedToFailed(row), "retry", 2));
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), store.find(session, row.id)->queueName);
    }

    void testARowLeasedSinceIsLeftAlone() {
        auto session = emptySchema();
        FailedStore store(Dialect::SQLite, names.failed);
        FailedRecord row = retryRow(2);
        row.id = store.insert(session, row);
        // Another host leased it between our read and our update.
        CPPUNIT_ASSERT(
            store.lease(session, row.id, "retry", 2, row.availableAt + 60'000, "host-a:17"));
        CPPUNIT_ASSERT(!store.updateIfUnchanged(session, movedToFailed(row), "retry", 2));
        const auto now = store.find(session, row.id);
        CPPUNIT_ASSERT_EQUAL(std::string("running"), now->queueName);
        CPPUNIT_ASSERT_EQUAL(3, now->attempts);
        // Who holds it, for the console's message page.
        CPPUNIT_ASSERT_EQUAL(std::string("host-a:17"), now->leasedBy.value_or("none"));
    }

    void testARemovedRowIsNotMovedAndSaysSo() {
        auto session = emptySchema();
        FailedStore store(Dialect::SQLite, names.failed);
        FailedRecord row = retryRow(1);
        row.id = store.insert(session, row);
        store.remove(session, row.id);
        CPPUNIT_ASSERT(!store.updateIfUnchanged(session, movedToFailed(row), "retry", 1));
        CPPUNIT_ASSERT(!store.find(session, row.id));
    }

    void testAnExpiredLeaseReadAsRunningIsMoved() {
        auto session = emptySchema();
        FailedStore store(Dialect::SQLite, names.failed);
        FailedRecord row = retryRow(1);
        row.id = store.insert(session, row);
        CPPUNIT_ASSERT(store.lease(session, row.id, "retry", 1, row.availableAt, "host-a:17"));
        CPPUNIT_ASSERT(store.updateIfUnchanged(session, movedToFailed(row), "running", 2));
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), store.find(session, row.id)->queueName);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FailedStoreTest);
