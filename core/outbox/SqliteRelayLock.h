#pragma once

#include <string>

namespace msgbus::core {

/// Makes one relay the only one of a SQLite database file, across threads and processes: an
/// exclusive flock() on "<database>.msgbus-relay.lock". SQLite has no row locks, so two relays
/// would publish the same rows twice; the one without the lock stands by and takes over when
/// the holder exits or dies (the kernel drops the lock with the process).
/// Not thread-safe: one per relay.
class SqliteRelayLock {
public:
    explicit SqliteRelayLock(const std::string& databasePath);
    ~SqliteRelayLock();
    SqliteRelayLock(const SqliteRelayLock&) = delete;
    SqliteRelayLock& operator=(const SqliteRelayLock&) = delete;

    /// True when this relay holds the lock (tries to take it when it does not; never blocks).
    bool acquire();

private:
    std::string _path;
    int _fd = -1;
    bool _held = false;
};

} // namespace msgbus::core
