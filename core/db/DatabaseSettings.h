#pragma once

#include <chrono>
#include <string>

namespace msgbus::core {

/// db.*: which database and how the session pool reaches it (read by Settings::load).
struct DatabaseSettings {
    std::string connector; ///< "MySQL" or "SQLite"
    /// Poco connection string, or the SQLite file path (made absolute with symlinks resolved,
    /// so that every spelling of one file names it the same way).
    std::string connection;
    int poolMax = 8;
    /// Longest wait for a free pooled session before the caller gets an error (and backs off).
    std::chrono::milliseconds poolWait{30000};
    /// MariaDB socket read/write timeout: a database host that stops answering (frozen, cut
    /// off without a reset) fails the statement after this long instead of freezing the
    /// worker and SIGTERM. 0: wait for ever.
    std::chrono::milliseconds ioTimeout{60000};

    bool operator==(const DatabaseSettings&) const = default;
};

} // namespace msgbus::core
