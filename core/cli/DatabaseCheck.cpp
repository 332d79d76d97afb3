#include "core/cli/DatabaseCheck.h"

#include "core/cli/PartitionCheck.h"
#include "core/config/PartitionSettings.h"
#include "core/config/RetryHorizon.h"
#include "core/db/ConnectionString.h"
#include "core/db/Database.h"
#include "core/db/Schema.h"
#include "core/db/SchemaInspector.h"
#include "core/failed/FailureGroupBackfill.h"
#include "core/inbox/DedupStore.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"

#include <filesystem>

namespace msgbus::core::cli {
namespace {

/// A check should answer promptly: a database host that does not answer is reported after
/// this long, not after the host's own db.io_timeout_ms.
constexpr std::chrono::milliseconds kCheckTimeout{10000};

std::string columnList(const std::vector<std::string>& columns) {
    std::string out;
    for (const auto& column : columns)
        out += (out.empty() ? "" : ", ") + column;
    return "(" + out + ")";
}

std::string joined(const std::vector<std::string>& texts, const std::string& separator) {
    std::string out;
    for (const auto& text : texts)
        out += (out.empty() ? "" : separator) + text;
    return out;
}

} // namespace

std::string DatabaseCheck::location(const DatabaseSettings& db) {
    if (db.connector == "SQLite")
        return "SQLite file " + db.connection;
    return "MariaDB/MySQL " + MysqlConnectionString(db.connection).location();
}

void DatabaseCheck::run() {
    const std::string where = location(_settings.db);
    if (_settings.db.connector == "SQLite" && !std::filesystem::exists(_settings.db.connection)) {
        _report.fail("database", where + " does not exist: run msgbus setup (it creates it)");
        _report.info("schema", "not checked without a database");
        return;
    }
    DatabaseSettings settings = _settings.db;
    settings.poolMax = 1;
    if (settings.ioTimeout.count() == 0 || settings.ioTimeout > kCheckTimeout)
        settings.ioTimeout = kCheckTimeout;
    settings.poolWait = kCheckTimeout;
    Database database(settings);
    try {
        database.session();
    } catch (...) {
        _report.fail("database", where + ": " + currentErrorText() +
                                     " (check db.connection and that the database runs)");
        _report.info("schema", "not checked without a database");
        return;
    }
    _report.ok("database", where);
    checkTables(database);
    _report.attempt("partitioning", [&] { PartitionCheck(_settings, _report).run(database); });
    if (_dedupTableOk)
        checkDedupAge(database);
    if (_failedTableOk)
        checkFailureGroups(database);
}

void DatabaseCheck::checkFailureGroups(Database& database) {
    const std::string name = "failure groups";
    _report.attempt(name, [&] {
        const auto pending = FailureGroupBackfill(database, _settings.failedTable).pending();
        if (pending == 0) {
            _report.ok(name, "every failed row has its failure group (the console's groups)");
            return;
        }
        _report.fail(name, std::to_string(pending) +
                               " failed row(s) have no failure group (stored before the column "
                               "was added, or by a host started before): run msgbus setup");
    });
}

void DatabaseCheck::checkDedupAge(Database& database) {
    const std::string name = "dedup retention";
    _report.attempt(name, [&] {
        auto session = database.session();
        const auto oldest =
            DedupStore(database.dialect(), _settings.dedupTable).oldestProcessedAt(*session);
        const std::string retention =
            "dedup.retention (" + durationText(_settings.dedupRetention) + ")";
        const std::int64_t age = oldest ? nowMillis() - *oldest : 0;
        if (age <= _settings.dedupRetention.count()) {
            _report.ok(name, "no deduplication row older than " + retention);
            return;
        }
        // Not a failure: the rows only cost space, and failed:retry of old messages stays
        // guarded. But the table grows without bound until cleanup runs.
        _report.info(name, "the oldest deduplication row is " +
                               durationText(std::chrono::floor<std::chrono::minutes>(
                                   std::chrono::milliseconds(age))) +
                               " old, older than " + retention +
                               ": run msgbus cleanup:dedup regularly (a cron job) to keep the "
                               "table bounded");
    });
}

void DatabaseCheck::checkTables(Database& database) {
    const TableNames names = tableNamesOf(_settings);
    auto session = database.session();
    SchemaInspector inspector(*session, database.dialect());
    for (const TableSpec& table : Schema::tables(names)) {
        const std::string name = "table " + table.name;
        _report.attempt(name, [&] {
            const TableLayout layout = inspector.read(table.name);
            if (!layout.exists) {
                _report.fail(name, "missing (the " + table.role + " table): run msgbus setup");
                return;
            }
            auto differences = layoutDifferences(table, layout, database.dialect());
            if (!differences.empty()) {
                _report.fail(name,
                             "the " + table.role + " table differs: " + joined(differences, "; "));
                return;
            }
            std::string detail = "the " + table.role + " table, " +
                                 std::to_string(table.columns.size()) + " columns, primary key " +
                                 columnList(table.primaryKey);
            for (const auto& index : table.indexes)
                detail += ", index " + index.name + " " + columnList(index.columns) + " for " +
                          index.purpose;
            _report.ok(name, detail);
            _dedupTableOk = _dedupTableOk || table.name == _settings.dedupTable;
            _failedTableOk = _failedTableOk || table.name == _settings.failedTable;
        });
    }
}

} // namespace msgbus::core::cli
