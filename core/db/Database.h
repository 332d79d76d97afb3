#pragma once

#include "core/db/DatabaseSettings.h"
#include "core/db/Dialect.h"

#include <Poco/Data/Session.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace msgbus::core {

class Database;

/// A session borrowed from the Database's pool; returns it when destroyed (RAII).
/// Not thread-safe: one thread uses it at a time, like the Poco session inside.
class PooledSession {
public:
    PooledSession(PooledSession&&) noexcept;
    PooledSession& operator=(PooledSession&&) = delete;
    PooledSession(const PooledSession&) = delete;
    ~PooledSession();

    Poco::Data::Session& operator*() { return *_session; }
    Poco::Data::Session* operator->() { return _session.get(); }
    Poco::Data::Session& get() { return *_session; }

private:
    friend class Database;
    PooledSession(Database& db, Poco::Data::Session session);
    Database* _db;
    std::unique_ptr<Poco::Data::Session> _session;
};

/// The connection pool for MariaDB/MySQL or SQLite, and the dialect that goes with it.
///
/// session() waits while all db.pool.max sessions are out (Poco's pool would throw at once), at
/// most db.pool.wait_ms, and hands out only live sessions: a MySQL session is pinged before use and
/// replaced once if it is dead (poco#3429: the pool hands out sessions the server already closed).
/// Sessions come with autocommit on and READ COMMITTED (MySQL), or WAL and a busy timeout (SQLite).
/// Thread-safe.
class Database {
public:
    explicit Database(const DatabaseSettings& settings);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    Dialect dialect() const noexcept { return _dialect; }

    /// Throws when no live session can be had, or none is free within db.pool.wait_ms
    /// (Poco::Data::SessionPoolExhaustedException); the caller treats it as transient.
    PooledSession session();

    /// A session when one is free right now, else nothing (for work that can wait: a caller
    /// already holding a session must not block on a second one, or callers holding one each
    /// could wait on each other forever).
    std::optional<PooledSession> trySession();

    /// True when a pooled session answers a query now (an outage probe; never throws).
    bool isReachable() noexcept;

    /// A session of its own, outside the pool, for state tied to one connection (advisory locks
    /// held for as long as the connection lives).
    Poco::Data::Session openDedicated() const;

    /// Registers the MySQL and SQLite connectors once per process.
    static void registerConnectors();

private:
    friend class PooledSession;
    Poco::Data::Session connect() const;
    Poco::Data::Session borrowLive();
    PooledSession borrowCounted();
    void giveBack(std::unique_ptr<Poco::Data::Session> session) noexcept;
    void applyIoTimeout(Poco::Data::Session& session) const;

    Dialect _dialect;
    std::string _connector;
    std::string _connection;
    int _maxSessions;
    std::chrono::milliseconds _poolWait;
    std::chrono::milliseconds _ioTimeout;
    std::mutex _mutex;
    std::condition_variable _available;
    int _borrowed = 0;                      ///< guarded by _mutex
    std::vector<Poco::Data::Session> _idle; ///< guarded by _mutex
};

} // namespace msgbus::core
