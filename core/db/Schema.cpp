#include "core/db/Schema.h"

#include "core/db/DailyPartitions.h"
#include "core/db/Database.h"
#include "core/db/ParkingTables.h"
#include "core/db/PartitionLayout.h"
#include "core/db/SchemaInspector.h"

#include <msgbus/internal/SqlIdentifier.h>

#include <cctype>
#include <chrono>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

namespace {

// utf8mb4_bin: names and headers compare byte for byte. Bodies (below) are MEDIUMBLOB (16 MiB),
// not LONGBLOB: Poco 1.11's MySQL extractor sizes its result buffer from the column's declared
// length and crashes on LONGBLOB's 4 GiB (probed on Debian 12).
const char* const kMysqlTableOptions = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names)
        out += (out.empty() ? "" : ", ") + name;
    return out;
}

std::vector<std::string> mysqlStatements(const std::vector<TableSpec>& tables, int daysAhead) {
    std::vector<std::string> statements;
    const std::int64_t nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
    for (const auto& table : tables) {
        std::vector<std::string> lines;
        for (const auto& column : table.columns)
            lines.push_back(column.name + " " + column.mysql);
        if (table.primaryKey.size() > 1)
            lines.push_back("PRIMARY KEY (" + joined(table.primaryKey) + ")");
        for (const auto& index : table.indexes)
            lines.push_back(std::string(index.unique ? "UNIQUE KEY " : "KEY ") + index.name + " (" +
                            joined(index.columns) + ")");
        std::string sql = "CREATE TABLE IF NOT EXISTS " + table.name + " (\n";
        for (std::size_t i = 0; i < lines.size(); ++i)
            sql += "  " + lines[i] + (i + 1 < lines.size() ? ",\n" : "\n");
        sql += std::string(")") + kMysqlTableOptions;
        if (!table.partitionColumn.empty())
            sql +=
                DailyPartitions(table.name, table.partitionColumn).createClause(nowMs, daysAhead);
        statements.push_back(sql);
    }
    return statements;
}

std::vector<std::string> sqliteStatements(const std::vector<TableSpec>& tables) {
    std::vector<std::string> statements;
    for (const auto& table : tables) {
        std::vector<std::string> lines;
        std::vector<std::string> indexes;
        for (const auto& column : table.columns) {
            std::string line = column.name + " " + column.sqlite;
            // A one-column unique key is a column constraint in SQLite, as it always was: a
            // separate unique index would be a second one on existing databases.
            for (const auto& index : table.indexes)
                if (index.unique && index.columns == std::vector<std::string>{column.name})
                    line += " UNIQUE";
            lines.push_back(line);
        }
        if (table.primaryKey.size() > 1)
            lines.push_back("PRIMARY KEY (" + joined(table.primaryKey) + ")");
        for (const auto& index : table.indexes) {
            if (index.unique && index.columns.size() == 1)
                continue;
            indexes.push_back(std::string("CREATE ") + (index.unique ? "UNIQUE " : "") +
                              "INDEX IF NOT EXISTS " + index.name + " ON " + table.name + " (" +
                              joined(index.columns) + ")");
        }
        std::string sql = "CREATE TABLE IF NOT EXISTS " + table.name + " (\n";
        for (std::size_t i = 0; i < lines.size(); ++i)
            sql += "  " + lines[i] + (i + 1 < lines.size() ? ",\n" : "\n");
        statements.push_back(sql + ")" + (table.withoutRowid ? " WITHOUT ROWID" : ""));
        statements.insert(statements.end(), indexes.begin(), indexes.end());
    }
    return statements;
}

// Alike on purpose: one column list per table, spelled out as `msgbus setup` creates it.
/// key, then the columns of a message as the outbox holds it, then rest: the outbox and its
/// delivered table share the message's columns, so a delivery is copied with one statement.
std::vector<ColumnSpec> messageColumns(ColumnSpec key, std::vector<ColumnSpec> rest) {
    std::vector<ColumnSpec> columns{
        std::move(key),
        {"message_id", "BINARY(16) NOT NULL", "BLOB NOT NULL"},
        {"message_name", "VARCHAR(255) NOT NULL", "TEXT NOT NULL"},
        {"partition_key", "VARCHAR(255) NULL", "TEXT NULL"},
        {"headers", "MEDIUMTEXT NOT NULL", "TEXT NOT NULL"},
        {"body", "MEDIUMBLOB NOT NULL", "BLOB NOT NULL"},
        {"created_at", "BIGINT NOT NULL", "INTEGER NOT NULL"},
    };
    columns.insert(columns.end(), rest.begin(), rest.end());
    return columns;
}

// The available index serves the claim query (WHERE available_at <= ? ORDER BY
// available_at, seq): InnoDB walks it in order and locks only the rows it returns, so
// concurrent relays skip each other's batches.
TableSpec outboxTable(const TableNames& t) {
    return TableSpec{
        "outbox",
        t.outbox,
        messageColumns({"seq", "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
                        "INTEGER PRIMARY KEY AUTOINCREMENT"},
                       {
                           {"available_at", "BIGINT NOT NULL", "INTEGER NOT NULL"},
                           {"attempts", "INT NOT NULL DEFAULT 0", "INTEGER NOT NULL DEFAULT 0"},
                           {"last_error", "TEXT NULL", "TEXT NULL"},
                       }),
        {"seq"},
        {
            {"uq_" + t.outbox + "_message_id", {"message_id"}, true, "one row per message id"},
            {"ix_" + t.outbox + "_available",
             {"available_at", "seq"},
             false,
             "the relay's claim query"},
        },
        false};
}

// The outbox's audit trail (outbox.keep_delivered): one row per confirmed delivery.
// Its own table, so the outbox's claim, depth and unique index never see the history.
TableSpec deliveredTable(const TableNames& t) {
    const std::string delivered = deliveredTableOf(t.outbox);
    // Partitioned, every unique key holds the partitioning column: the key becomes (id,
    // delivered_at), still one row per id (AUTO_INCREMENT hands out each id once).
    const bool daily = t.partitioning.daily;
    return TableSpec{
        "delivered",
        delivered,
        messageColumns({"id",
                        daily ? "BIGINT NOT NULL AUTO_INCREMENT"
                              : "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
                        "INTEGER PRIMARY KEY AUTOINCREMENT"},
                       {
                           {"attempts", "INT NOT NULL DEFAULT 1", "INTEGER NOT NULL DEFAULT 1"},
                           {"delivered_at", "BIGINT NOT NULL", "INTEGER NOT NULL"},
                           {"exchange", "VARCHAR(255) NOT NULL", "TEXT NOT NULL"},
                           {"routing_key", "VARCHAR(255) NOT NULL", "TEXT NOT NULL"},
                       }),
        daily ? std::vector<std::string>{"id", "delivered_at"} : std::vector<std::string>{"id"},
        {{"ix_" + delivered + "_message_id",
          {"message_id"},
          false,
          "outbox:list --id and outbox:replay <id>"},
         {"ix_" + delivered + "_time",
          {"delivered_at"},
          false,
          "cleanup:outbox and --since/--until"}},
        false,
        daily ? "delivered_at" : ""};
}

// Partitioned, the key must hold processed_at, so it no longer makes a second row of the same
// (message_id, consumer) a duplicate key on its own: DedupStore then also looks for the row in
// the other days (see DedupStore::heldElsewhere).
TableSpec dedupTable(const TableNames& t) {
    const bool daily = t.partitioning.daily;
    std::vector<std::string> key{"message_id", "consumer"};
    if (daily)
        key.push_back("processed_at");
    return TableSpec{"dedup",
                     t.dedup,
                     {
                         {"message_id", "BINARY(16) NOT NULL", "BLOB NOT NULL"},
                         {"consumer", "VARCHAR(128) NOT NULL", "TEXT NOT NULL"},
                         {"message_name", "VARCHAR(255) NOT NULL", "TEXT NOT NULL"},
                         {"processed_at", "BIGINT NOT NULL", "INTEGER NOT NULL"},
                     },
                     key,
                     {{"ix_" + t.dedup + "_processed", {"processed_at"}, false, "cleanup:dedup"}},
                     true,
                     daily ? "processed_at" : ""};
}

// One row per redelivered message whose handler run began on a consumer and whose
// outcome is not committed yet: a row still there when the message comes back means
// its host died while running it, a count that must survive the host.
TableSpec runsTable(const TableNames& t) {
    const std::string runs = runsTableOf(t.dedup);
    return TableSpec{"runs",
                     runs,
                     {
                         {"run_key", "CHAR(32) NOT NULL", "TEXT NOT NULL"},
                         {"consumer", "VARCHAR(128) NOT NULL", "TEXT NOT NULL"},
                         {"runs", "INT NOT NULL", "INTEGER NOT NULL"},
                         {"last_run_at", "BIGINT NOT NULL", "INTEGER NOT NULL"},
                     },
                     {"run_key", "consumer"},
                     {},
                     true};
}

// Alike on purpose: a failed row's message columns are nullable (a row may have no valid id),
// so they are not messageColumns().
TableSpec failedTable(const TableNames& t) {
    return TableSpec{
        "failed",
        t.failed,
        {
            {"id", "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
             "INTEGER PRIMARY KEY AUTOINCREMENT"},
            {"queue_name", "VARCHAR(16) NOT NULL", "TEXT NOT NULL"},
            {"source", "VARCHAR(255) NOT NULL", "TEXT NOT NULL"},
            {"message_id", "BINARY(16) NULL", "BLOB NULL"},
            {"message_name", "VARCHAR(255) NULL", "TEXT NULL"},
            {"headers", "MEDIUMTEXT NOT NULL", "TEXT NOT NULL"},
            {"body", "MEDIUMBLOB NOT NULL", "BLOB NOT NULL"},
            {"error_class", "VARCHAR(255) NOT NULL", "TEXT NOT NULL"},
            {"error_message", "TEXT NOT NULL", "TEXT NOT NULL"},
            {"attempts", "INT NOT NULL DEFAULT 0", "INTEGER NOT NULL DEFAULT 0"},
            {"created_at", "BIGINT NOT NULL", "INTEGER NOT NULL"},
            {"available_at", "BIGINT NOT NULL", "INTEGER NOT NULL"},
            {"failed_at", "BIGINT NULL", "INTEGER NULL"},
            // FailureGroup::keyOf, written with the row (NULL: not computed yet,
            // `msgbus setup` fills it in).
            {"failure_group", "CHAR(16) CHARACTER SET ascii COLLATE ascii_bin NULL", "TEXT NULL"},
            // The retry worker that leased the row for a run ("<host id>:<pid>"): the console
            // shows who holds a running row.
            {"leased_by", "VARCHAR(255) NULL", "TEXT NULL"},
        },
        {"id"},
        {{"ix_" + t.failed + "_queue",
          {"queue_name", "available_at"},
          false,
          "the retry worker and failed:list"},
         // One group's rows in id order: the console's first page of a group of a
         // million rows reads its 50 rows, not the million.
         {"ix_" + t.failed + "_group",
          {"failure_group", "queue_name"},
          false,
          "the console's pages of one group"},
         // Covers the groups page (count, first and last seen per group) without
         // reading a row.
         {"ix_" + t.failed + "_groups",
          {"queue_name", "failure_group", "failed_at", "created_at"},
          false,
          "the console's groups page"}},
        false};
}

// One row per operator action on failed rows or deliveries, from the console or the CLI.
TableSpec auditTable(const TableNames& t) {
    return TableSpec{"audit",
                     auditTableOf(t.failed),
                     {
                         {"id", "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
                          "INTEGER PRIMARY KEY AUTOINCREMENT"},
                         {"acted_at", "BIGINT NOT NULL", "INTEGER NOT NULL"},
                         {"who", "VARCHAR(255) NOT NULL", "TEXT NOT NULL"},
                         {"origin", "VARCHAR(16) NOT NULL", "TEXT NOT NULL"},
                         {"action", "VARCHAR(32) NOT NULL", "TEXT NOT NULL"},
                         {"filter_json", "TEXT NOT NULL", "TEXT NOT NULL"},
                         {"row_count", "BIGINT NOT NULL", "INTEGER NOT NULL"},
                         {"done", "BIGINT NOT NULL", "INTEGER NOT NULL"},
                         {"refused", "BIGINT NOT NULL", "INTEGER NOT NULL"},
                     },
                     {"id"},
                     {},
                     false};
}

// One row per host, written by the host itself every host.heartbeat_ms: the console tells up,
// late and gone hosts apart and shows the plugin set each one runs. A few dozen rows at most,
// read whole, so no index beyond the key.
TableSpec hostsTable(const TableNames& t) {
    return TableSpec{"hosts",
                     t.hosts,
                     {
                         {"id", "VARCHAR(255) NOT NULL PRIMARY KEY", "TEXT NOT NULL PRIMARY KEY"},
                         {"instance", "CHAR(32) NOT NULL", "TEXT NOT NULL"},
                         {"hostname", "VARCHAR(255) NOT NULL", "TEXT NOT NULL"},
                         {"pid", "BIGINT NOT NULL", "INTEGER NOT NULL"},
                         {"version", "VARCHAR(64) NOT NULL", "TEXT NOT NULL"},
                         {"plugin_generation", "BIGINT NOT NULL", "INTEGER NOT NULL"},
                         {"plugins", "TEXT NOT NULL", "TEXT NOT NULL"},
                         {"consumers", "TEXT NOT NULL", "TEXT NOT NULL"},
                         {"beat_interval_ms", "BIGINT NOT NULL", "INTEGER NOT NULL"},
                         {"started_at", "BIGINT NOT NULL", "INTEGER NOT NULL"},
                         {"last_beat", "BIGINT NOT NULL", "INTEGER NOT NULL"},
                         {"stopped_at", "BIGINT NULL", "INTEGER NULL"},
                     },
                     {"id"},
                     {},
                     false};
}

/// Adds to existing tables the nullable columns and the indexes they lack (made by an older
/// msgbus). A column that cannot be NULL is never added: its rows would have no value for it.
void upgradeTables(Poco::Data::Session& session, Dialect dialect,
                   const std::vector<TableSpec>& specs) {
    SchemaInspector inspector(session, dialect);
    for (const auto& spec : specs) {
        const TableLayout layout = inspector.read(spec.name);
        if (!layout.exists)
            continue;
        const auto hasColumn = [&layout](const std::string& name) {
            for (const auto& c : layout.columns)
                if (c.name == name)
                    return true;
            return false;
        };
        for (const auto& column : spec.columns) {
            const std::string& definition =
                dialect == Dialect::MySQL ? column.mysql : column.sqlite;
            if (hasColumn(column.name) || definition.find("NOT NULL") != std::string::npos)
                continue;
            session << "ALTER TABLE " + spec.name + " ADD COLUMN " + column.name + " " + definition,
                now;
        }
        if (dialect != Dialect::MySQL)
            continue; // SQLite's index statements carry IF NOT EXISTS and run after this
        for (const auto& index : spec.indexes) {
            bool present = false;
            for (const auto& have : layout.indexes)
                present = present || have.name == index.name;
            if (!present)
                session << std::string("CREATE ") + (index.unique ? "UNIQUE " : "") + "INDEX " +
                               index.name + " ON " + spec.name + " (" + joined(index.columns) + ")",
                    now;
        }
    }
}

} // namespace

std::string baseSqlType(const std::string& definition) {
    std::string type = definition.substr(0, definition.find_first_of(" ("));
    for (auto& c : type)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return type;
}

std::vector<TableSpec> Schema::tables(const TableNames& t) {
    validateSqlIdentifier(t.outbox, "outbox.table");
    validateSqlIdentifier(deliveredTableOf(t.outbox), "outbox.table");
    validateSqlIdentifier(t.dedup, "dedup.table");
    validateSqlIdentifier(runsTableOf(t.dedup), "dedup.table");
    validateSqlIdentifier(t.failed, "failed.table");
    validateSqlIdentifier(auditTableOf(t.failed), "failed.table");
    validateSqlIdentifier(t.hosts, "host.table");
    validateSqlIdentifier(parkedTableOf(t.dedup), "dedup.table");
    validateSqlIdentifier(sequencesTableOf(t.dedup), "dedup.table");
    return {outboxTable(t), deliveredTable(t), dedupTable(t),     runsTable(t),  failedTable(t),
            auditTable(t),  hostsTable(t),     sequencesTable(t), parkedTable(t)};
}

std::vector<std::string> Schema::statements(Dialect dialect, const TableNames& tables) {
    auto specs = Schema::tables(tables);
    return dialect == Dialect::MySQL ? mysqlStatements(specs, tables.partitioning.daysAhead)
                                     : sqliteStatements(specs);
}

void Schema::apply(Database& database, const TableNames& tables) {
    auto session = database.session();
    if (database.dialect() == Dialect::SQLite) {
        // WAL lets the relay read while a producer writes; it is a property of the file.
        *session << "PRAGMA journal_mode = WAL", now;
    } else {
        // Before anything is created: CREATE TABLE IF NOT EXISTS would leave a table made the
        // other way as it is, and the hosts would use it wrongly.
        PartitionLayout(tables).require(*session);
    }
    const auto all = statements(database.dialect(), tables);
    const auto isIndex = [](const std::string& sql) {
        return sql.rfind("CREATE INDEX", 0) == 0 || sql.rfind("CREATE UNIQUE INDEX", 0) == 0;
    };
    // Tables first, then what tables of an older msgbus lack, then the separate index
    // statements (SQLite's), some of which index the new columns.
    for (const auto& sql : all)
        if (!isIndex(sql))
            *session << sql, now;
    upgradeTables(*session, database.dialect(), Schema::tables(tables));
    for (const auto& sql : all)
        if (isIndex(sql))
            *session << sql, now;
}

} // namespace msgbus::core
