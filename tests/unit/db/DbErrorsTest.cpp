// Database failure classification: by the error number in a Poco database exception's text or
// by its type, never by what any other exception says.
#include "core/db/DbErrors.h"

#include "core/db/Database.h"

#include <Poco/Data/DataException.h>
#include <Poco/Data/SQLite/SQLiteException.h>

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/TemporaryFile.h>

#include <stdexcept>

using namespace msgbus::core;
using Poco::Data::Keywords::now;

namespace {

// An in-memory SQLite database with a table t (id primary key, code unique, note not null).
Poco::Data::Session sqlite(const std::string& where = ":memory:") {
    Database::registerConnectors();
    Poco::Data::Session session("SQLite", where);
    session << "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, code TEXT UNIQUE, "
               "note TEXT NOT NULL)",
        now;
    return session;
}

// What the driver throws for sql, rethrown to the classifier as the workers see it.
template <typename Check>
void classify(Poco::Data::Session& session, const std::string& sql, Check check) {
    try {
        session << sql, now;
    } catch (const std::exception& e) {
        check(e);
        return;
    }
    CPPUNIT_FAIL("no error from: " + sql);
}

} // namespace

class DbErrorsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DbErrorsTest);
    CPPUNIT_TEST(testErrorNumberFromEitherMarker);
    CPPUNIT_TEST(testOnlyDatabaseExceptionsCarryANumber);
    CPPUNIT_TEST(testConnectionLostByNumber);
    CPPUNIT_TEST(testConnectionLostByType);
    CPPUNIT_TEST(testAHandlersTextNeverPassesForAnOutage);
    CPPUNIT_TEST(testLockConflicts);
    CPPUNIT_TEST(testTransientIsLostOrLocked);
    CPPUNIT_TEST(testRealSqliteKeyClashIsNotTransient);
    CPPUNIT_TEST(testRealSqliteMistakesAreNotTransient);
    CPPUNIT_TEST(testRealSqliteLockIsALockConflict);
    CPPUNIT_TEST_SUITE_END();

    static Poco::Data::DataException mysql(int number, const std::string& text = "x") {
        return Poco::Data::DataException(text + " [mysql_stmt_errno]: " + std::to_string(number));
    }

public:
    void testErrorNumberFromEitherMarker() {
        CPPUNIT_ASSERT_EQUAL(1062, mysqlErrorNumber(mysql(1062)));
        CPPUNIT_ASSERT_EQUAL(2006, mysqlErrorNumber(Poco::Data::DataException(
                                       "MySQL: [mysql_errno]: 2006 [mysql_error]: gone")));
        CPPUNIT_ASSERT_EQUAL(0, mysqlErrorNumber(Poco::Data::DataException("no number")));
    }

    void testOnlyDatabaseExceptionsCarryANumber() {
        CPPUNIT_ASSERT_EQUAL(0, mysqlErrorNumber(std::runtime_error("[mysql_stmt_errno]: 1213")));
        CPPUNIT_ASSERT(!isLockConflict(std::runtime_error("[mysql_stmt_errno]: 1213")));
    }

    void testConnectionLostByNumber() {
        for (int number : {1053, 1927, 2002, 2003, 2006, 2013, 2055})
            CPPUNIT_ASSERT_MESSAGE(std::to_string(number), isConnectionLost(mysql(number)));
        CPPUNIT_ASSERT(!isConnectionLost(mysql(1062)));
        CPPUNIT_ASSERT(!isConnectionLost(mysql(1213)));
    }

    void testConnectionLostByType() {
        CPPUNIT_ASSERT(isConnectionLost(Poco::Data::SessionPoolExhaustedException("pool")));
        CPPUNIT_ASSERT(isConnectionLost(Poco::Data::ConnectionFailedException("refused")));
        CPPUNIT_ASSERT(isConnectionLost(Poco::Data::NotConnectedException("closed")));
        CPPUNIT_ASSERT(isConnectionLost(Poco::Data::DataException("Lost connection to server")));
    }

    void testAHandlersTextNeverPassesForAnOutage() {
        CPPUNIT_ASSERT(!isConnectionLost(std::runtime_error("Lost connection to payment API")));
        CPPUNIT_ASSERT(!isConnectionLost(std::runtime_error("MySQL server has gone away")));
        CPPUNIT_ASSERT(!isLockConflict(std::runtime_error("database is locked")));
    }

    void testLockConflicts() {
        CPPUNIT_ASSERT(isLockConflict(mysql(1213, "Deadlock found")));
        CPPUNIT_ASSERT(isLockConflict(mysql(1205, "Lock wait timeout")));
        CPPUNIT_ASSERT(isLockConflict(Poco::Data::SQLite::DBLockedException("busy")));
        CPPUNIT_ASSERT(isLockConflict(Poco::Data::SQLite::TableLockedException("locked")));
        CPPUNIT_ASSERT(isLockConflict(Poco::Data::DataException("database is locked")));
        CPPUNIT_ASSERT(!isLockConflict(mysql(1062)));
    }

    void testTransientIsLostOrLocked() {
        CPPUNIT_ASSERT(isTransientDbError(mysql(2013)));
        CPPUNIT_ASSERT(isTransientDbError(mysql(1213)));
        CPPUNIT_ASSERT(!isTransientDbError(mysql(1062)));
        CPPUNIT_ASSERT(!isTransientDbError(std::logic_error("bug")));
    }

    void testRealSqliteKeyClashIsNotTransient() {
        auto session = sqlite();
        session << "INSERT INTO t VALUES (1, 'a', 'first')", now;
        classify(session, "INSERT INTO t VALUES (1, 'b', 'again')", [](const std::exception& e) {
            CPPUNIT_ASSERT(!isTransientDbError(e));
            CPPUNIT_ASSERT_EQUAL(0, mysqlErrorNumber(e));
        });
    }

    void testRealSqliteMistakesAreNotTransient() {
        // Retrying a statement that can never work would only repeat the failure.
        auto session = sqlite();
        for (const std::string sql :
             {"SELEC 1", "SELECT * FROM no_such_table", "INSERT INTO t (id) VALUES ('x', 'y')"})
            classify(session, sql, [&sql](const std::exception& e) {
                CPPUNIT_ASSERT_MESSAGE(sql, !isConnectionLost(e));
                CPPUNIT_ASSERT_MESSAGE(sql, !isLockConflict(e));
            });
    }

    void testRealSqliteLockIsALockConflict() {
        Poco::TemporaryFile file;
        auto holder = sqlite(file.path());
        auto other = sqlite(file.path());
        // No busy wait: the second writer fails at once instead of after a timeout.
        other.setConnectionTimeout(0);
        holder << "BEGIN EXCLUSIVE", now;
        classify(other, "INSERT INTO t VALUES (1, 'a', 'blocked')", [](const std::exception& e) {
            CPPUNIT_ASSERT(isLockConflict(e));
            CPPUNIT_ASSERT(isTransientDbError(e));
        });
        holder << "ROLLBACK", now;
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DbErrorsTest);
