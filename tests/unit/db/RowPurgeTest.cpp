// purgeBatch: one batch of a purge of old rows, on an in-memory SQLite database (no service).
#include "core/db/RowPurge.h"

#include "core/db/Database.h"

#include <Poco/Data/Session.h>

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus::core;
using namespace Poco::Data::Keywords;

namespace {

const std::string purgeSql =
    "DELETE FROM t WHERE id IN (SELECT id FROM t WHERE at < ? ORDER BY at LIMIT ?)";

/// Rows at 10, 20, ..., 50.
Poco::Data::Session fiveRows() {
    Database::registerConnectors();
    Poco::Data::Session session("SQLite", ":memory:");
    session << "CREATE TABLE t (id INTEGER PRIMARY KEY, at INTEGER NOT NULL)", now;
    session << "INSERT INTO t (at) VALUES (10), (20), (30), (40), (50)", now;
    return session;
}

int rowsLeft(Poco::Data::Session& session) {
    int n = 0;
    session << "SELECT COUNT(*) FROM t", into(n), now;
    return n;
}

} // namespace

class RowPurgeTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RowPurgeTest);
    CPPUNIT_TEST(testABatchRemovesAtMostBatchSizeRows);
    CPPUNIT_TEST(testRowsAtOrAfterTheCutoffStay);
    CPPUNIT_TEST_SUITE_END();

public:
    void testABatchRemovesAtMostBatchSizeRows() {
        auto session = fiveRows();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), purgeBatch(session, purgeSql, 100, 2));
        CPPUNIT_ASSERT_EQUAL(3, rowsLeft(session));
        int oldest = 0;
        session << "SELECT MIN(at) FROM t", into(oldest), now;
        CPPUNIT_ASSERT_EQUAL(30, oldest);
    }

    void testRowsAtOrAfterTheCutoffStay() {
        auto session = fiveRows();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), purgeBatch(session, purgeSql, 30, 100));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), purgeBatch(session, purgeSql, 30, 100));
        CPPUNIT_ASSERT_EQUAL(3, rowsLeft(session));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RowPurgeTest);
