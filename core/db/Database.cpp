#include "core/db/Database.h"

#include "core/db/DbErrors.h"

#include <msgbus/Error.h>

#include <Poco/Data/DataException.h>
#include <Poco/Data/MySQL/Connector.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SessionPool.h>

#include <ma_pvio.h>
#include <mysql.h>

#include <algorithm>

#include <mutex>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

PooledSession::PooledSession(Database& db, Poco::Data::Session session)
    : _db(&db), _session(std::make_unique<Poco::Data::Session>(std::move(session))) {}

PooledSession::PooledSession(PooledSession&& other) noexcept
    : _db(other._db), _session(std::move(other._session)) {
    other._db = nullptr;
}

PooledSession::~PooledSession() {
    if (!_db)
        return;
    try {
        if (_session && _session->isTransaction())
            _session->rollback();
    } catch (...) {
        // A dead connection cannot roll back; the server already did.
    }
    _session.reset();
    _db->release();
}

void Database::registerConnectors() {
    static std::once_flag once;
    std::call_once(once, [] {
        Poco::Data::MySQL::Connector::registerConnector();
        Poco::Data::SQLite::Connector::registerConnector();
    });
}

Database::Database(const DatabaseSettings& settings)
    : _dialect(settings.connector == "SQLite" ? Dialect::SQLite : Dialect::MySQL),
      _connector(_dialect == Dialect::SQLite ? "SQLite" : "MySQL"),
      _connection(settings.connection), _maxSessions(settings.poolMax),
      _poolWait(settings.poolWait), _ioTimeout(settings.ioTimeout) {
    registerConnectors();
    _pool =
        std::make_unique<Poco::Data::SessionPool>(_connector, _connection, 1, settings.poolMax, 60);
    if (_dialect == Dialect::MySQL) {
        // Poco's begin() switches autocommit off and commit() never switches it back; the
        // pool re-applies this feature whenever a session comes back (PLATFORM-NOTES §3.1).
        _pool->setFeature("autoCommit", true);
    }
}

Database::~Database() = default;

Poco::Data::Session Database::openDedicated() const {
    Poco::Data::Session session(_connector, _connection);
    applyIoTimeout(session);
    return session;
}

void Database::applyIoTimeout(Poco::Data::Session& session) const {
    if (_dialect != Dialect::MySQL || _ioTimeout.count() <= 0)
        return;
    // Poco opens the connection in its constructor, so MYSQL_OPT_READ_TIMEOUT (which Poco's
    // setConnectionTimeout sets) comes too late: Connector/C reads it only while connecting.
    // The timeouts in force live on the connection's I/O object, set here directly; without
    // them a read from a frozen server waits in poll() for ever.
    MYSQL* handle = Poco::AnyCast<MYSQL*>(session.getProperty("handle"));
    if (!handle || !handle->net.pvio || !handle->net.pvio->methods ||
        !handle->net.pvio->methods->set_timeout)
        return;
    const int seconds = static_cast<int>(std::max<std::int64_t>(1, _ioTimeout.count() / 1000));
    auto* pvio = handle->net.pvio;
    pvio->methods->set_timeout(pvio, PVIO_READ_TIMEOUT, seconds);
    pvio->methods->set_timeout(pvio, PVIO_WRITE_TIMEOUT, seconds);
}

Poco::Data::Session Database::borrowLive() {
    for (int attempt = 1;; ++attempt) {
        Poco::Data::Session session = _pool->get();
        try {
            if (_dialect == Dialect::MySQL) {
                applyIoTimeout(session);
                // Ping and set the session defaults in one round trip per borrow.
                session << "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", now;
            } else {
                session << "PRAGMA busy_timeout = 10000", now;
                session << "PRAGMA foreign_keys = ON", now;
            }
            return session;
        } catch (const std::exception& e) {
            if (attempt >= 2 || !isConnectionLost(e))
                throw;
            // A session the server had closed: drop it (close()) and try a fresh one.
            try {
                session.close();
            } catch (...) {
            }
        }
    }
}

PooledSession Database::session() {
    {
        std::unique_lock lock(_mutex);
        if (!_available.wait_for(lock, _poolWait, [this] { return _borrowed < _maxSessions; }))
            throw Poco::Data::SessionPoolExhaustedException(
                "no database session came free within db.pool.wait_ms (" +
                std::to_string(_poolWait.count()) +
                " ms; db.pool.max = " + std::to_string(_maxSessions) + ")");
        ++_borrowed;
    }
    return borrowCounted();
}

std::optional<PooledSession> Database::trySession() {
    {
        std::lock_guard lock(_mutex);
        if (_borrowed >= _maxSessions)
            return std::nullopt;
        ++_borrowed;
    }
    return borrowCounted();
}

PooledSession Database::borrowCounted() {
    // The slot is already counted in _borrowed: give it back if no session comes of it.
    try {
        return PooledSession(*this, borrowLive());
    } catch (...) {
        release();
        throw;
    }
}

void Database::release() {
    {
        std::lock_guard lock(_mutex);
        --_borrowed;
    }
    _available.notify_one();
}

} // namespace msgbus::core
