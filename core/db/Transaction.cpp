#include "core/db/Transaction.h"

#include <Poco/Data/DataException.h>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

Transaction::Transaction(Poco::Data::Session& session, Dialect dialect)
    : _session(session), _dialect(dialect) {
    // A rollback that failed (the connection died) leaves Poco believing a transaction is
    // open, and its begin() would then fail with "Already in transaction", which nobody would
    // read as the lost connection it is.
    if (_dialect == Dialect::MySQL && _session.isTransaction())
        throw Poco::Data::SessionUnavailableException(
            "the session's last transaction could not be rolled back: its connection is gone");
    if (_dialect == Dialect::SQLite)
        _session << "BEGIN IMMEDIATE", now;
    else
        _session.begin();
    _active = true;
}

Transaction::~Transaction() {
    if (!_active)
        return;
    try {
        rollback();
    } catch (...) {
        // The connection is gone; the server rolled back for us. (Poco still believes a
        // transaction is open: see the constructor.)
    }
}

void Transaction::commit() {
    if (_dialect == Dialect::SQLite)
        _session << "COMMIT", now;
    else
        _session.commit();
    _active = false;
}

void Transaction::rollback() {
    _active = false;
    if (_dialect == Dialect::SQLite)
        _session << "ROLLBACK", now;
    else
        _session.rollback();
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
