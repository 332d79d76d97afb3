// UnfinishedRuns against real MariaDB and SQLite: the record of handler runs that began and did
// not end, which tells the inbox that a redelivered message killed its host.
#include "core/inbox/UnfinishedRuns.h"
#include "core/config/Settings.h"
#include "core/db/Database.h"
#include "core/db/Schema.h"
#include "core/util/Clock.h"
#include "support/TestEnv.h"

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus;
using core::UnfinishedRuns;

class UnfinishedRunsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(UnfinishedRunsTest);
    CPPUNIT_TEST(testKeysAreFixedSizeDigests);
    CPPUNIT_TEST(testRunsBeginEndAndAreTakenBackOnMariaDb);
    CPPUNIT_TEST(testRunsBeginEndAndAreTakenBackOnSqlite);
    CPPUNIT_TEST_SUITE_END();

    static void check(const std::string& connector, const std::string& connection) {
        core::Database database(core::DatabaseSettings{connector, connection, 2});
        core::TableNames tables{test::uniqueName("outbox"), test::uniqueName("dedup"),
                                test::uniqueName("failed")};
        core::Schema::apply(database, tables);
        auto session = database.session();
        UnfinishedRuns mine(database.dialect(), tables.dedup, "orders");
        UnfinishedRuns theirs(database.dialect(), tables.dedup, "billing");
        const auto a = UnfinishedRuns::keyOf("id:a"), b = UnfinishedRuns::keyOf("id:b"),
                   c = UnfinishedRuns::keyOf("id:c");

        CPPUNIT_ASSERT(mine.count(*session, {a, b}).empty());
        // One message twice in a batch is one run.
        mine.begin(*session, {a, b, a});
        mine.begin(*session, {a});
        theirs.begin(*session, {a});
        auto runs = mine.count(*session, {a, b, c});
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), runs.size());
        CPPUNIT_ASSERT_EQUAL(2, runs[a]);
        CPPUNIT_ASSERT_EQUAL(1, runs[b]);

        // Given back alive: one run less, and a key at zero goes.
        mine.abandon(*session, {a, b});
        runs = mine.count(*session, {a, b});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), runs.size());
        CPPUNIT_ASSERT_EQUAL(1, runs[a]);

        // Settled: forgotten, for this consumer only.
        mine.finish(*session, {a});
        CPPUNIT_ASSERT(mine.count(*session, {a}).empty());
        CPPUNIT_ASSERT_EQUAL(1, theirs.count(*session, {a})[a]);

        // cleanup:dedup removes records of messages that never came back.
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), theirs.removeOlderThan(*session, 0));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1),
                             theirs.removeOlderThan(*session, core::nowMillis() + 1));
        CPPUNIT_ASSERT(theirs.count(*session, {a}).empty());
    }

public:
    void testKeysAreFixedSizeDigests() {
        const auto key = UnfinishedRuns::keyOf("id:\xff\x00 odd bytes");
        CPPUNIT_ASSERT_EQUAL(std::size_t(32), key.size());
        CPPUNIT_ASSERT_EQUAL(std::string::npos, key.find_first_not_of("0123456789abcdef"));
        CPPUNIT_ASSERT_EQUAL(key, UnfinishedRuns::keyOf("id:\xff\x00 odd bytes"));
        CPPUNIT_ASSERT(key != UnfinishedRuns::keyOf("id:other"));
        // A known digest: the key must not change between versions or hosts.
        CPPUNIT_ASSERT_EQUAL(std::string("900150983cd24fb0d6963f7d28e17f72"),
                             UnfinishedRuns::keyOf("abc"));
    }

    void testRunsBeginEndAndAreTakenBackOnMariaDb() { check("MySQL", test::createMysqlDatabase()); }

    void testRunsBeginEndAndAreTakenBackOnSqlite() {
        check("SQLite", test::tempDir("runs") + "/runs.db");
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(UnfinishedRunsTest);
