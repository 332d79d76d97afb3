#pragma once

#include "core/db/DatabaseSettings.h"
#include "core/db/Dialect.h"

#include <Poco/Data/Session.h>

#include <chrono>
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
/// most db.pool.wait_ms, and hands out only live sessions: a MySQL session that was idle for
/// longer than kTrustIdleFor is pinged before use and replaced if it is dead (poco#3429: the pool
/// hands out sessions the server already closed); one back more recently is used as it is, so a
/// busy worker pays no round trip per borrow. A session whose connection was closed under a
/// statement never goes back to the pool. Sessions come with autocommit on and READ COMMITTED
/// (MySQL), or WAL and a busy timeout (SQLite), set once per connection; a Transaction's end
/// puts the MySQL session settings back. Thread-safe.
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

    /// A pooled MySQL session idle for at most this long is handed out without a ping: a
    /// connection the server dropped within it fails its first statement, which the callers
    /// treat as transient like any lost connection.
    static constexpr std::chrono::milliseconds kTrustIdleFor{1000};

private:
    friend class PooledSession;
    /// A session back in the pool, and since when.
    struct IdleSession {
        Poco::Data::Session session;
        std::chrono::steady_clock::time_point since;
    };

    /// A new connection with the session defaults set.
    Poco::Data::Session connect() const;
    /// True when session may go back to the pool: its connection is open, with no transaction
    /// and autocommit on (put right here when they are not).
    bool resetForReuse(Poco::Data::Session& session) const;
    /// session() that pings even a recently used session (the outage probe).
    PooledSession session(bool ping);
    /// A live session: a recent idle one, a pinged older one, or a new connection.
    Poco::Data::Session borrowLive(bool ping);
    PooledSession borrowCounted(bool ping);
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
    int _borrowed = 0;              ///< guarded by _mutex
    std::vector<IdleSession> _idle; ///< guarded by _mutex; the most recently used last
};

} // namespace msgbus::core
