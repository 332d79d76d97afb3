#include "core/db/Transaction.h"

namespace msgbus::core {

using namespace Poco::Data::Keywords;

Transaction::Transaction(Poco::Data::Session& session, Dialect dialect)
    : _session(session), _dialect(dialect) {
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
        // The connection is gone; the server rolled back for us. Poco still believes a
        // transaction is open (its rollback threw before noting the end), so the next begin()
        // on this session would fail with "Already in transaction", an error nobody reads as
        // a lost connection. Closing it makes every later use fail as what it is.
        try {
            _session.close();
        } catch (...) {
        }
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

} // namespace msgbus::core
