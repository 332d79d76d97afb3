#include "core/db/Transaction.h"

#include "core/db/DbErrors.h"
#include "core/db/MysqlLink.h"

#include <msgbus/Error.h>

#include <Poco/Data/DataException.h>
#include <Poco/Logger.h>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

namespace {

/// What the end of a transaction sends after its COMMIT or ROLLBACK, in the same round trip:
/// autocommit back on, and the session settings a handler might have changed put back to what
/// a new connection gets, so that they never follow the pooled session to its next user (a
/// relay's SKIP LOCKED claims under REPEATABLE READ take gap locks; another sql_mode changes
/// how our statements parse and what they store; another time zone, lock wait or
/// completion_type changes what they do or how long they wait).
const std::string kSessionDefaults =
    "; SET autocommit = 1, sql_mode = DEFAULT, time_zone = DEFAULT, "
    "innodb_lock_wait_timeout = DEFAULT, lock_wait_timeout = DEFAULT, "
    "foreign_key_checks = DEFAULT, unique_checks = DEFAULT, completion_type = DEFAULT"
    "; SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED, READ WRITE";

void warnAbandoned(const std::string& what, const std::string& error) {
    Poco::Logger::get("msgbus.db")
        .warning("%s succeeded, but putting the session back in order failed (%s): the "
                 "connection is closed instead of going back to the pool",
                 what, error);
}

/// The server's error for a SIGNAL with a user SQLSTATE (ER_SIGNAL_EXCEPTION).
constexpr int kSignalledError = 1644;

} // namespace

// Autocommit off for the transaction, not a bare BEGIN: after a deadlock the server has rolled
// the transaction back, and a statement run after it (a handler that swallowed the error) must
// not commit on its own. A text query, one round trip (Poco's begin() and autoCommit feature
// cost a prepared statement more); the end of the transaction switches autocommit back on in
// its own round trip.
const std::string Transaction::kBeginSql = "SET autocommit = 0";

namespace {

void requireConnection(Poco::Data::Session& session) {
    // A session whose connection died under its last statement: said as the lost connection
    // it is, not as whatever BEGIN on a closed handle would report.
    if (MysqlLink::closed(session))
        throw Poco::Data::SessionUnavailableException(
            "the session's connection is gone (closed after an earlier error)");
}

} // namespace

Transaction::Transaction(Poco::Data::Session& session, BeginsWithNextQuery)
    : _session(session), _dialect(Dialect::MySQL) {
    requireConnection(_session);
    _active = true;
}

Transaction::Transaction(Poco::Data::Session& session, Dialect dialect)
    : _session(session), _dialect(dialect) {
    if (_dialect == Dialect::MySQL)
        requireConnection(_session);
    if (_dialect == Dialect::SQLite)
        _session << "BEGIN IMMEDIATE", now;
    else
        MysqlLink::query(_session, kBeginSql, "BEGIN");
    _active = true;
}

Transaction::~Transaction() {
    if (!_active)
        return;
    try {
        rollback();
    } catch (...) {
        // The connection is gone; the server rolled back for us.
    }
}

void Transaction::commit() {
    if (_dialect == Dialect::SQLite)
        _session << "COMMIT", now;
    else if (auto error =
                 MysqlLink::endTransaction(_session, "COMMIT" + kSessionDefaults, "COMMIT"))
        // Committed: the caller must not give the work back or run it again; the session is
        // closed, so its next statement fails as on a lost connection.
        warnAbandoned("COMMIT", *error);
    _active = false;
}

void Transaction::commitAfter(const std::string& statement, const std::string& what) {
    // The COMMIT's place in the text is counted: a second statement would shift it, and a
    // failing COMMIT would then read as committed.
    if (statement.find(';') != std::string::npos)
        throw Error("Transaction::commitAfter takes one statement: " + what);
    if (_dialect == Dialect::SQLite) {
        _session << statement, now;
        commit();
        return;
    }
    if (auto error =
            MysqlLink::endTransaction(_session, statement + "; COMMIT" + kSessionDefaults, what, 1))
        warnAbandoned(what, *error);
    _active = false;
}

void Transaction::commitIf(const std::string& condition, const std::string& refusal,
                           const std::string& what) {
    if (refusal.find_first_of("'\\") != std::string::npos)
        throw Error("Transaction::commitIf: the refusal must hold no quote: " + what);
    const std::string check = "SELECT CASE WHEN " + condition + " THEN 1 ELSE 0 END";
    if (_dialect == Dialect::SQLite || !MysqlLink::multiStatements(_session)) {
        // In process (SQLite), or a session that cannot send the check and the COMMIT as one
        // text: the check first, then the COMMIT.
        Poco::Int64 holds = 0;
        if (_dialect == Dialect::SQLite)
            _session << check, into(holds), now;
        else
            holds = MysqlLink::selectInteger(_session, check, what).value_or(0);
        if (!holds)
            throw ConditionFailed(refusal);
        commit();
        return;
    }
    // SIGNAL only exists inside a compound statement; one of those is a single statement of a
    // multi-statement text, so the COMMIT behind it runs only when the condition held. It is
    // parsed in the default sql_mode, whatever mode the transaction's work left set (ORACLE
    // mode reads BEGIN otherwise); the end puts the session's defaults back anyway.
    // The server keeps at most 128 characters of a signalled message; ConditionFailed has all.
    const std::string guard = "SET sql_mode = DEFAULT; BEGIN NOT ATOMIC IF NOT (" + condition +
                              ") THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '" +
                              refusal.substr(0, 128) + "'; END IF; END";
    try {
        if (auto error =
                MysqlLink::endTransaction(_session, guard + "; COMMIT" + kSessionDefaults, what, 2))
            warnAbandoned(what, *error);
    } catch (const std::exception& e) {
        if (mysqlErrorNumber(e) == kSignalledError)
            throw ConditionFailed(refusal);
        throw;
    }
    _active = false;
}

void Transaction::rollback() {
    _active = false;
    if (_dialect == Dialect::SQLite)
        _session << "ROLLBACK", now;
    else if (auto error =
                 MysqlLink::endTransaction(_session, "ROLLBACK" + kSessionDefaults, "ROLLBACK"))
        warnAbandoned("ROLLBACK", *error);
}

void Transaction::Savepoints::set(const std::string& name) {
    _session << "SAVEPOINT " + name, now;
}

void Transaction::Savepoints::rollbackTo(const std::string& name) {
    _session << "ROLLBACK TO SAVEPOINT " + name, now;
}

ReadSnapshot::ReadSnapshot(Poco::Data::Session& session, Dialect dialect) : _session(session) {
    if (dialect == Dialect::SQLite) {
        _session << "BEGIN", now;
        return;
    }
    // Without SESSION, the level applies to the next transaction only: the session's later
    // work is READ COMMITTED again.
    _session << "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", now;
    _session << "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", now;
}

ReadSnapshot::~ReadSnapshot() {
    try {
        _session << "ROLLBACK", now;
    } catch (...) {
        // The connection is gone, and its transaction with it.
    }
}

} // namespace msgbus::core
