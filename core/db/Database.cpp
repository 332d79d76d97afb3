#include "core/db/Database.h"

#include "core/db/DbErrors.h"
#include "core/db/MysqlLink.h"

#include <msgbus/Error.h>

#include <Poco/Data/DataException.h>
#include <Poco/Data/MySQL/Connector.h>
#include <Poco/Data/SQLite/Connector.h>

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
    _db->giveBack(std::move(_session));
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
}

Database::~Database() = default;

Poco::Data::Session Database::openDedicated() const {
    return connect();
}

Poco::Data::Session Database::connect() const {
    if (_dialect == Dialect::SQLite) {
        Poco::Data::Session session(_connector, _connection);
        session << "PRAGMA busy_timeout = 10000", now;
        session << "PRAGMA foreign_keys = ON", now;
        return session;
    }
    // The login timeout bounds the TCP connect and the handshake: a server that accepts the
    // connection but never answers (frozen) must not hold the caller longer than any other
    // statement would.
    const std::size_t loginSeconds =
        _ioTimeout.count() > 0
            ? static_cast<std::size_t>(std::max<std::int64_t>(1, _ioTimeout.count() / 1000))
            : Poco::Data::Session::LOGIN_TIMEOUT_DEFAULT;
    Poco::Data::Session session(_connector, _connection, loginSeconds);
    applyIoTimeout(session);
    // Session defaults, once per connection (a pooled session keeps them); Transaction ends
    // with "COMMIT; SET autocommit = 1, …" in one round trip, which also puts these back.
    session << "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", now;
    MysqlLink::allowMultiStatements(session);
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

Poco::Data::Session Database::borrowLive(bool ping) {
    // A restarted server leaves every idle session dead, each found out by a ping failing at
    // once; a frozen one lets a ping wait db.io_timeout_ms, so a borrow pings at most two.
    for (int pinged = 0; pinged < 2;) {
        std::optional<IdleSession> idle;
        {
            std::lock_guard lock(_mutex);
            if (_idle.empty())
                break;
            idle.emplace(std::move(_idle.back()));
            _idle.pop_back();
        }
        const bool trusted =
            _dialect != Dialect::MySQL ||
            (!ping && std::chrono::steady_clock::now() - idle->since <= kTrustIdleFor);
        if (trusted)
            return std::move(idle->session);
        ++pinged;
        if (MysqlLink::ping(idle->session))
            return std::move(idle->session);
        // The server had closed it (a restart, wait_timeout): drop it.
        try {
            idle->session.close();
        } catch (...) {
        }
    }
    // A new connection is made outside the lock: one slow connect must not hold up the threads
    // returning or borrowing other sessions.
    return connect();
}

bool Database::resetForReuse(Poco::Data::Session& session) const {
    if (!session.isConnected())
        return false;
    if (_dialect == Dialect::SQLite) {
        if (session.isTransaction())
            session.rollback();
        return true;
    }
    if (MysqlLink::closed(session))
        return false;
    if (session.isTransaction())
        session.rollback(); // Poco's own begin(): its rollback() clears its flag too
    else if (MysqlLink::inTransaction(session))
        MysqlLink::query(session, "ROLLBACK", "ROLLBACK before reuse");
    // Autocommit off (a COMMIT that failed, Poco's begin(), a caller's SET) would leave the
    // next user inside an implicit transaction without knowing; the server's last reply says,
    // without a query.
    if (!MysqlLink::autocommit(session))
        MysqlLink::query(session, "SET autocommit = 1", "autocommit before reuse");
    return true;
}

void Database::giveBack(std::unique_ptr<Poco::Data::Session> session) noexcept {
    bool keep = false;
    try {
        keep = session && resetForReuse(*session);
    } catch (...) {
        // It cannot be reset (the connection is gone): it is dropped, not reused.
    }
    if (!keep && session) {
        try {
            session->close();
        } catch (...) {
        }
    }
    {
        std::lock_guard lock(_mutex);
        if (keep)
            _idle.push_back(IdleSession{std::move(*session), std::chrono::steady_clock::now()});
        --_borrowed;
    }
    _available.notify_one();
}

PooledSession Database::session() {
    return session(false);
}

PooledSession Database::session(bool ping) {
    {
        std::unique_lock lock(_mutex);
        if (!_available.wait_for(lock, _poolWait, [this] { return _borrowed < _maxSessions; }))
            throw Poco::Data::SessionPoolExhaustedException(
                "no database session came free within db.pool.wait_ms (" +
                std::to_string(_poolWait.count()) +
                " ms; db.pool.max = " + std::to_string(_maxSessions) + ")");
        ++_borrowed;
    }
    return borrowCounted(ping);
}

bool Database::isReachable() noexcept {
    try {
        auto pooled = session(true);
        *pooled << "SELECT 1", Poco::Data::Keywords::now;
        return true;
    } catch (...) {
        return false;
    }
}

std::optional<PooledSession> Database::trySession() {
    {
        std::lock_guard lock(_mutex);
        if (_borrowed >= _maxSessions)
            return std::nullopt;
        ++_borrowed;
    }
    return borrowCounted(false);
}

PooledSession Database::borrowCounted(bool ping) {
    // The slot is already counted in _borrowed: give it back if no session comes of it.
    try {
        return PooledSession(*this, borrowLive(ping));
    } catch (...) {
        {
            std::lock_guard lock(_mutex);
            --_borrowed;
        }
        _available.notify_one();
        throw;
    }
}

} // namespace msgbus::core
