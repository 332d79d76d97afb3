// FailedQuery's groups on an in-memory SQLite database (no service): filters count the rows
// that match, also among the rows no failure group was computed for yet.
#include "core/failed/FailedQuery.h"

#include "core/db/Database.h"
#include "core/db/Schema.h"
#include "core/failed/FailedStore.h"

#include <Poco/Data/Session.h>

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus;
using namespace msgbus::core;

namespace {

const TableNames names;
constexpr std::int64_t kT0 = 1'700'000'000'000;

Poco::Data::Session emptySchema() {
    Database::registerConnectors();
    Poco::Data::Session session("SQLite", ":memory:");
    for (const auto& sql : Schema::statements(Dialect::SQLite, names))
        session << sql, Poco::Data::Keywords::now;
    return session;
}

std::int64_t failed(Poco::Data::Session& session, const std::string& consumer, int n,
                    bool grouped) {
    FailedRecord r;
    r.source = "amqp:" + consumer;
    r.messageId = Id::generate();
    r.messageName = "order.placed";
    r.envelopeJson = R"({"properties":{},"headers":{}})";
    r.body = "{}";
    r.errorClass = "HandlerFailed";
    r.errorMessage = "order " + std::to_string(n) + " lost";
    r.createdAt = r.availableAt = kT0 + n * 1000;
    r.failedAt = r.createdAt;
    const auto id = FailedStore(Dialect::SQLite, names.failed).insert(session, r);
    if (!grouped) // stored by a host older than the failure_group column
        session << "UPDATE " + names.failed +
                       " SET failure_group = NULL WHERE id = " + std::to_string(id),
            Poco::Data::Keywords::now;
    return id;
}

std::map<std::string, std::int64_t> counts(const std::vector<FailedGroupRow>& groups) {
    std::map<std::string, std::int64_t> out;
    for (const auto& g : groups)
        out[g.group == FailedFilter::kUngrouped ? "ungrouped" : g.source] = g.count;
    return out;
}

} // namespace

class FailedQueryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FailedQueryTest);
    CPPUNIT_TEST(testAGroupsCountIsItsRowsThatMatchTheFilter);
    CPPUNIT_TEST_SUITE_END();

public:
    void testAGroupsCountIsItsRowsThatMatchTheFilter() {
        auto session = emptySchema();
        for (int n : {1, 2, 3})
            failed(session, "orders", n, true);
        for (int n : {4, 5})
            failed(session, "billing", n, true);
        for (int n : {6, 7})
            failed(session, "orders", n, false);
        failed(session, "billing", 8, false);
        FailedQuery query(Dialect::SQLite, names.failed);

        FailedFilter all;
        CPPUNIT_ASSERT((counts(query.groups(session, all)) ==
                        std::map<std::string, std::int64_t>{
                            {"amqp:orders", 3}, {"amqp:billing", 2}, {"ungrouped", 3}}));
        // The rows not grouped yet are counted by their own source, not by a sample's.
        FailedFilter billing;
        billing.source = "amqp:billing";
        CPPUNIT_ASSERT(
            (counts(query.groups(session, billing)) ==
             std::map<std::string, std::int64_t>{{"amqp:billing", 2}, {"ungrouped", 1}}));
        // A time range counts the rows inside it.
        billing.since = kT0 + 5000;
        CPPUNIT_ASSERT(
            (counts(query.groups(session, billing)) ==
             std::map<std::string, std::int64_t>{{"amqp:billing", 1}, {"ungrouped", 1}}));
        FailedFilter ordersLate;
        ordersLate.source = "amqp:orders";
        ordersLate.since = kT0 + 3000;
        ordersLate.text = "order 7";
        CPPUNIT_ASSERT((counts(query.groups(session, ordersLate)) ==
                        std::map<std::string, std::int64_t>{{"ungrouped", 1}}));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FailedQueryTest);
