// Database failure classification: by the error number in a Poco database exception's text or
// by its type, never by what any other exception says.
#include "core/db/DbErrors.h"

#include <Poco/Data/DataException.h>
#include <Poco/Data/SQLite/SQLiteException.h>

#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>

using namespace msgbus::core;

class DbErrorsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DbErrorsTest);
    CPPUNIT_TEST(testErrorNumberFromEitherMarker);
    CPPUNIT_TEST(testOnlyDatabaseExceptionsCarryANumber);
    CPPUNIT_TEST(testDuplicateKey);
    CPPUNIT_TEST(testConnectionLostByNumber);
    CPPUNIT_TEST(testConnectionLostByType);
    CPPUNIT_TEST(testAHandlersTextNeverPassesForAnOutage);
    CPPUNIT_TEST(testLockConflicts);
    CPPUNIT_TEST(testTransientIsLostOrLocked);
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

    void testDuplicateKey() {
        CPPUNIT_ASSERT(isDuplicateKey(mysql(1062)));
        CPPUNIT_ASSERT(isDuplicateKey(Poco::Data::SQLite::ConstraintViolationException("UNIQUE")));
        CPPUNIT_ASSERT(!isDuplicateKey(mysql(1452))); // a foreign key is not a duplicate
        CPPUNIT_ASSERT(!isDuplicateKey(std::runtime_error("Duplicate entry")));
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
};

CPPUNIT_TEST_SUITE_REGISTRATION(DbErrorsTest);
