// The end of a transaction on the real MariaDB: what a handler changes in its session does not
// follow the pooled session to its next user, and a COMMIT that succeeded is never reported as
// failed because something after it in the same round trip failed (the session is closed
// instead of going back to the pool).
#include "core/db/Database.h"
#include "core/db/DbErrors.h"
#include "core/db/MysqlLink.h"
#include "core/db/Transaction.h"
#include "support/TestEnv.h"

#include <Poco/Data/MySQL/MySQLException.h>

#include <cppunit/extensions/HelperMacros.h>

using namespace msgbus;
using namespace Poco::Data::Keywords;

namespace {

core::DatabaseSettings onePooledSession(const std::string& connection) {
    core::DatabaseSettings settings;
    settings.connector = "MySQL";
    settings.connection = connection;
    // One session: the next borrow gets the one given back, if it went back.
    settings.poolMax = 1;
    return settings;
}

std::string text(Poco::Data::Session& session, const std::string& sql) {
    std::string value;
    session << sql, into(value), now;
    return value;
}

Poco::Int64 number(Poco::Data::Session& session, const std::string& sql) {
    Poco::Int64 value = 0;
    session << sql, into(value), now;
    return value;
}

} // namespace

class TransactionEndTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(TransactionEndTest);
    CPPUNIT_TEST(testSessionSettingsAreBackForTheNextBorrowerAfterCommit);
    CPPUNIT_TEST(testSessionSettingsAreBackForTheNextBorrowerAfterRollback);
    CPPUNIT_TEST(testACommitFollowedByAFailureCountsAsCommitted);
    CPPUNIT_TEST(testACommitThatClosesTheConnectionCountsAsCommitted);
    CPPUNIT_TEST(testAFailingCommitStillThrows);
    CPPUNIT_TEST(testASessionWithoutConnectionIsALostConnection);
    CPPUNIT_TEST(testTheLastWorkSentWithTheCommitIsCommittedWithTheRest);
    CPPUNIT_TEST(testTheLastWorkFailingWithTheCommitCommitsNothingAndRollsBack);
    CPPUNIT_TEST(testACommitWhoseConditionHoldsCommits);
    CPPUNIT_TEST(testACommitWhoseConditionFailsCommitsNothing);
    CPPUNIT_TEST(testACommitConditionSeesATransactionTheServerRolledBack);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        _connection = test::createMysqlDatabase();
        Poco::Data::Session session("MySQL", _connection);
        session << "CREATE TABLE t (id INT PRIMARY KEY)", now;
    }

    void testSessionSettingsAreBackForTheNextBorrowerAfterCommit() { settingsAreBack(true); }

    void testSessionSettingsAreBackForTheNextBorrowerAfterRollback() { settingsAreBack(false); }

    void testACommitFollowedByAFailureCountsAsCommitted() {
        core::Database database(onePooledSession(_connection));
        auto session = database.session();
        *session << "INSERT INTO t VALUES (1)", now; // warm: the session has multi-statements
        *session << "SET autocommit = 0", now;
        *session << "INSERT INTO t VALUES (2)", now;
        // The statement after the COMMIT fails on the server (a subquery of two rows).
        const auto error = core::MysqlLink::endTransaction(
            *session, "COMMIT; SET @x = (SELECT 1 UNION SELECT 2)", "COMMIT");
        CPPUNIT_ASSERT(error.has_value());
        CPPUNIT_ASSERT_MESSAGE(*error, error->find("1242") != std::string::npos);
        CPPUNIT_ASSERT(core::MysqlLink::closed(*session));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(2), rowsSeenElsewhere());
    }

    void testACommitThatClosesTheConnectionCountsAsCommitted() {
        core::Database database(onePooledSession(_connection));
        Poco::Int64 first = 0;
        {
            auto session = database.session();
            first = number(*session, "SELECT CONNECTION_ID()");
            core::Transaction tx(*session, core::Dialect::MySQL);
            *session << "INSERT INTO t VALUES (3)", now;
            // A handler's setting that makes the server close the connection right after the
            // COMMIT: what follows it in the same round trip finds the connection gone.
            *session << "SET SESSION completion_type = 'RELEASE'", now;
            tx.commit(); // does not throw: the work is committed
            CPPUNIT_ASSERT(!tx.active());
            CPPUNIT_ASSERT(core::MysqlLink::closed(*session));
            // The caller's next transaction on it finds a lost connection, not a handler error.
            try {
                core::Transaction next(*session, core::Dialect::MySQL);
                CPPUNIT_FAIL("a transaction began on a closed session");
            } catch (const std::exception& e) {
                CPPUNIT_ASSERT_MESSAGE(e.what(), core::isConnectionLost(e));
            }
        }
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), rowsSeenElsewhere());
        // Dropped, not pooled: the next borrower gets a new connection with the defaults.
        auto session = database.session();
        CPPUNIT_ASSERT(number(*session, "SELECT CONNECTION_ID()") != first);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), number(*session, "SELECT @@completion_type + 0"));
    }

    void testAFailingCommitStillThrows() {
        core::Database database(onePooledSession(_connection));
        auto session = database.session();
        *session << "INSERT INTO t VALUES (4)", now;
        *session << "SET autocommit = 0", now;
        // The first statement fails: nothing ended as asked, the caller hears of it.
        CPPUNIT_ASSERT_THROW(
            core::MysqlLink::endTransaction(
                *session, "INSERT INTO t VALUES (4); SET autocommit = 1", "COMMIT"),
            Poco::Data::MySQL::TransactionException);
        CPPUNIT_ASSERT(!core::MysqlLink::closed(*session));
    }

    void testASessionWithoutConnectionIsALostConnection() {
        core::Database database(onePooledSession(_connection));
        Poco::Data::Session session = database.openDedicated();
        session.close();
        try {
            core::MysqlLink::query(session, "SET autocommit = 0", "BEGIN");
            CPPUNIT_FAIL("a query ran on a closed session");
        } catch (const std::exception& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), core::isConnectionLost(e));
        }
    }

    void testTheLastWorkSentWithTheCommitIsCommittedWithTheRest() {
        core::Database database(onePooledSession(_connection));
        {
            auto session = database.session();
            core::Transaction tx(*session, core::Dialect::MySQL);
            *session << "INSERT INTO t VALUES (5)", now;
            tx.commitAfter("INSERT INTO t VALUES (6)", "inserting and committing");
            CPPUNIT_ASSERT(!tx.active());
        }
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(2), rowsSeenElsewhere());
        // The session went back to the pool with autocommit on.
        auto session = database.session();
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), number(*session, "SELECT @@autocommit"));
    }

    void testTheLastWorkFailingWithTheCommitCommitsNothingAndRollsBack() {
        core::Database database(onePooledSession(_connection));
        {
            auto session = database.session();
            core::Transaction tx(*session, core::Dialect::MySQL);
            *session << "INSERT INTO t VALUES (7)", now;
            // A duplicate key: the COMMIT behind it never runs, the transaction stays open.
            try {
                tx.commitAfter("INSERT INTO t VALUES (7)", "inserting and committing");
                CPPUNIT_FAIL("a failing last statement was committed");
            } catch (const Poco::Data::MySQL::TransactionException& e) {
                CPPUNIT_ASSERT_MESSAGE(e.displayText(),
                                       e.displayText().find("inserting and "
                                                            "committing") != std::string::npos);
            }
            CPPUNIT_ASSERT(tx.active());
            CPPUNIT_ASSERT(!core::MysqlLink::closed(*session));
        } // rolled back here
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), rowsSeenElsewhere());
        auto session = database.session();
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), number(*session, "SELECT @@autocommit"));
    }

    void testACommitWhoseConditionHoldsCommits() {
        core::Database database(onePooledSession(_connection));
        {
            auto session = database.session();
            core::Transaction tx(*session, core::Dialect::MySQL);
            *session << "INSERT INTO t VALUES (8)", now;
            tx.commitIf("EXISTS (SELECT 1 FROM t WHERE id = 8)", "row 8 is gone", "committing");
            CPPUNIT_ASSERT(!tx.active());
        }
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), rowsSeenElsewhere());
        auto session = database.session();
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), number(*session, "SELECT @@autocommit"));
    }

    void testACommitWhoseConditionFailsCommitsNothing() {
        core::Database database(onePooledSession(_connection));
        {
            auto session = database.session();
            core::Transaction tx(*session, core::Dialect::MySQL);
            *session << "INSERT INTO t VALUES (9)", now;
            // The check goes with the COMMIT in one text, as on every session of Database.
            CPPUNIT_ASSERT(core::MysqlLink::multiStatements(*session));
            try {
                tx.commitIf("EXISTS (SELECT 1 FROM t WHERE id = 99)", "row 99 is missing",
                            "committing");
                CPPUNIT_FAIL("committed although the condition failed");
            } catch (const core::Transaction::ConditionFailed& e) {
                CPPUNIT_ASSERT_EQUAL(std::string("row 99 is missing"), std::string(e.what()));
            }
            // The COMMIT behind the check never ran: the transaction is open, the session fine.
            CPPUNIT_ASSERT(tx.active());
            CPPUNIT_ASSERT(!core::MysqlLink::closed(*session));
            CPPUNIT_ASSERT(core::MysqlLink::inTransaction(*session));
        } // rolled back here
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), rowsSeenElsewhere());
        auto session = database.session();
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), number(*session, "SELECT @@autocommit"));
    }

    void testACommitConditionSeesATransactionTheServerRolledBack() {
        core::Database database(onePooledSession(_connection));
        {
            auto session = database.session();
            core::Transaction tx(*session, core::Dialect::MySQL);
            *session << "INSERT INTO t VALUES (10)", now;
            // What a deadlock does under a handler that swallows it: the server rolls the
            // transaction back, and the handler's next statement starts another one.
            *session << "ROLLBACK", now;
            *session << "INSERT INTO t VALUES (11)", now;
            CPPUNIT_ASSERT_THROW(tx.commitIf("EXISTS (SELECT 1 FROM t WHERE id = 10)",
                                             "row 10 is gone", "committing"),
                                 core::Transaction::ConditionFailed);
        }
        // Not even what ran after the rollback.
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), rowsSeenElsewhere());
    }

private:
    void settingsAreBack(bool commit) {
        core::Database database(onePooledSession(_connection));
        Poco::Int64 connection = 0;
        {
            auto session = database.session();
            connection = number(*session, "SELECT CONNECTION_ID()");
            core::Transaction tx(*session, core::Dialect::MySQL);
            // What a handler might do to the session it was lent.
            *session << "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ", now;
            *session << "SET SESSION sql_mode = 'ANSI_QUOTES'", now;
            *session << "SET SESSION time_zone = '+05:00'", now;
            *session << "SET SESSION innodb_lock_wait_timeout = 3", now;
            *session << "SET SESSION lock_wait_timeout = 7", now;
            *session << "SET SESSION foreign_key_checks = 0", now;
            *session << "INSERT INTO t VALUES (5)", now;
            if (commit)
                tx.commit();
            else
                tx.rollback();
        }
        auto session = database.session();
        CPPUNIT_ASSERT_EQUAL(connection, number(*session, "SELECT CONNECTION_ID()"));
        CPPUNIT_ASSERT_EQUAL(std::string("READ-COMMITTED"),
                             text(*session, "SELECT @@tx_isolation"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), number(*session, "SELECT @@tx_read_only"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), number(*session, "SELECT @@autocommit"));
        for (const char* variable : {"sql_mode", "time_zone", "innodb_lock_wait_timeout",
                                     "lock_wait_timeout", "foreign_key_checks"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(
                variable, Poco::Int64(1),
                number(*session,
                       std::string("SELECT @@SESSION.") + variable + " = @@GLOBAL." + variable));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(commit ? 1 : 0), rowsSeenElsewhere());
    }

    Poco::Int64 rowsSeenElsewhere() {
        Poco::Data::Session other("MySQL", _connection);
        return number(other, "SELECT COUNT(*) FROM t");
    }

    std::string _connection;
};

CPPUNIT_TEST_SUITE_REGISTRATION(TransactionEndTest);
