#pragma once

#include "core/cli/CheckReport.h"
#include "core/config/Settings.h"

namespace msgbus::core {
class Database;
}

namespace msgbus::core::cli {

/// The database part of `msgbus check`: the database answers, and each table of the schema
/// (outbox, deduplication, runs, failed) exists as `msgbus setup` makes it, and whether the
/// deduplication table holds rows older than dedup.retention. Changes nothing: a
/// SQLite file that does not exist is reported, not created.
class DatabaseCheck {
public:
    DatabaseCheck(const Settings& settings, CheckReport& report)
        : _settings(settings), _report(report) {}

    void run();

    /// Where the database is, without credentials: "MariaDB/MySQL database 'bus' on
    /// host:3306" or "SQLite file /path".
    static std::string location(const DatabaseSettings& db);

private:
    void checkTables(Database& database);
    /// INFO when the deduplication table holds rows older than dedup.retention (cleanup does
    /// not run).
    void checkDedupAge(Database& database);
    /// FAIL when failed rows have no failure group (stored before `msgbus setup` added it):
    /// the console would list them as ungrouped.
    void checkFailureGroups(Database& database);

    const Settings& _settings;
    CheckReport& _report;
    bool _dedupTableOk = false;  ///< the deduplication table exists as setup makes it
    bool _failedTableOk = false; ///< the failed table exists as setup makes it
};

} // namespace msgbus::core::cli
