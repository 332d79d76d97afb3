#include "core/db/Schema.h"

#include "core/db/Database.h"

#include <msgbus/SqlIdentifier.h>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

namespace {

std::vector<std::string> mysqlStatements(const TableNames& t) {
    // utf8mb4_bin: names and headers compare byte for byte. Bodies are MEDIUMBLOB (16 MiB), not
    // the LONGBLOB of DESIGN §6: Poco 1.11's MySQL extractor sizes its result buffer from the
    // column's declared length and crashes on LONGBLOB's 4 GiB (probed on Debian 12). The outbox
    // index serves the claim query (WHERE available_at <= ? ORDER BY available_at, seq): InnoDB
    // walks it in order and locks only the rows it returns, so concurrent relays skip each other's
    // batches.
    return {
        "CREATE TABLE IF NOT EXISTS " + t.outbox +
            " (\n"
            "  seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"
            "  message_id BINARY(16) NOT NULL,\n"
            "  message_name VARCHAR(255) NOT NULL,\n"
            "  partition_key VARCHAR(255) NULL,\n"
            "  headers MEDIUMTEXT NOT NULL,\n"
            "  body MEDIUMBLOB NOT NULL,\n"
            "  created_at BIGINT NOT NULL,\n"
            "  available_at BIGINT NOT NULL,\n"
            "  attempts INT NOT NULL DEFAULT 0,\n"
            "  last_error TEXT NULL,\n"
            "  UNIQUE KEY uq_" +
            t.outbox +
            "_message_id (message_id),\n"
            "  KEY ix_" +
            t.outbox +
            "_available (available_at, seq)\n"
            ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
        "CREATE TABLE IF NOT EXISTS " + t.dedup +
            " (\n"
            "  message_id BINARY(16) NOT NULL,\n"
            "  consumer VARCHAR(128) NOT NULL,\n"
            "  message_name VARCHAR(255) NOT NULL,\n"
            "  processed_at BIGINT NOT NULL,\n"
            "  PRIMARY KEY (message_id, consumer),\n"
            "  KEY ix_" +
            t.dedup +
            "_processed (processed_at)\n"
            ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
        // One row per redelivered message whose handler run began on a consumer and whose
        // outcome is not committed yet: a row still there when the message comes back means
        // its host died while running it, a count that must survive the host.
        "CREATE TABLE IF NOT EXISTS " + runsTableOf(t.dedup) +
            " (\n"
            "  run_key CHAR(32) NOT NULL,\n"
            "  consumer VARCHAR(128) NOT NULL,\n"
            "  runs INT NOT NULL,\n"
            "  last_run_at BIGINT NOT NULL,\n"
            "  PRIMARY KEY (run_key, consumer)\n"
            ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
        "CREATE TABLE IF NOT EXISTS " + t.failed +
            " (\n"
            "  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"
            "  queue_name VARCHAR(16) NOT NULL,\n"
            "  source VARCHAR(255) NOT NULL,\n"
            "  message_id BINARY(16) NULL,\n"
            "  message_name VARCHAR(255) NULL,\n"
            "  headers MEDIUMTEXT NOT NULL,\n"
            "  body MEDIUMBLOB NOT NULL,\n"
            "  error_class VARCHAR(255) NOT NULL,\n"
            "  error_message TEXT NOT NULL,\n"
            "  attempts INT NOT NULL DEFAULT 0,\n"
            "  created_at BIGINT NOT NULL,\n"
            "  available_at BIGINT NOT NULL,\n"
            "  failed_at BIGINT NULL,\n"
            "  KEY ix_" +
            t.failed +
            "_queue (queue_name, available_at)\n"
            ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
    };
}

std::vector<std::string> sqliteStatements(const TableNames& t) {
    return {
        "CREATE TABLE IF NOT EXISTS " + t.outbox +
            " (\n"
            "  seq INTEGER PRIMARY KEY AUTOINCREMENT,\n"
            "  message_id BLOB NOT NULL UNIQUE,\n"
            "  message_name TEXT NOT NULL,\n"
            "  partition_key TEXT NULL,\n"
            "  headers TEXT NOT NULL,\n"
            "  body BLOB NOT NULL,\n"
            "  created_at INTEGER NOT NULL,\n"
            "  available_at INTEGER NOT NULL,\n"
            "  attempts INTEGER NOT NULL DEFAULT 0,\n"
            "  last_error TEXT NULL\n"
            ")",
        "CREATE INDEX IF NOT EXISTS ix_" + t.outbox + "_available ON " + t.outbox +
            " (available_at, seq)",
        "CREATE TABLE IF NOT EXISTS " + t.dedup +
            " (\n"
            "  message_id BLOB NOT NULL,\n"
            "  consumer TEXT NOT NULL,\n"
            "  message_name TEXT NOT NULL,\n"
            "  processed_at INTEGER NOT NULL,\n"
            "  PRIMARY KEY (message_id, consumer)\n"
            ") WITHOUT ROWID",
        "CREATE INDEX IF NOT EXISTS ix_" + t.dedup + "_processed ON " + t.dedup + " (processed_at)",
        "CREATE TABLE IF NOT EXISTS " + runsTableOf(t.dedup) +
            " (\n"
            "  run_key TEXT NOT NULL,\n"
            "  consumer TEXT NOT NULL,\n"
            "  runs INTEGER NOT NULL,\n"
            "  last_run_at INTEGER NOT NULL,\n"
            "  PRIMARY KEY (run_key, consumer)\n"
            ") WITHOUT ROWID",
        "CREATE TABLE IF NOT EXISTS " + t.failed +
            " (\n"
            "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
            "  queue_name TEXT NOT NULL,\n"
            "  source TEXT NOT NULL,\n"
            "  message_id BLOB NULL,\n"
            "  message_name TEXT NULL,\n"
            "  headers TEXT NOT NULL,\n"
            "  body BLOB NOT NULL,\n"
            "  error_class TEXT NOT NULL,\n"
            "  error_message TEXT NOT NULL,\n"
            "  attempts INTEGER NOT NULL DEFAULT 0,\n"
            "  created_at INTEGER NOT NULL,\n"
            "  available_at INTEGER NOT NULL,\n"
            "  failed_at INTEGER NULL\n"
            ")",
        "CREATE INDEX IF NOT EXISTS ix_" + t.failed + "_queue ON " + t.failed +
            " (queue_name, available_at)",
    };
}

} // namespace

std::vector<std::string> Schema::statements(Dialect dialect, const TableNames& tables) {
    validateSqlIdentifier(tables.outbox, "outbox.table");
    validateSqlIdentifier(tables.dedup, "dedup.table");
    validateSqlIdentifier(runsTableOf(tables.dedup), "dedup.table");
    validateSqlIdentifier(tables.failed, "failed.table");
    return dialect == Dialect::MySQL ? mysqlStatements(tables) : sqliteStatements(tables);
}

void Schema::apply(Database& database, const TableNames& tables) {
    auto session = database.session();
    if (database.dialect() == Dialect::SQLite) {
        // WAL lets the relay read while a producer writes; it is a property of the file.
        *session << "PRAGMA journal_mode = WAL", now;
    }
    for (const auto& sql : statements(database.dialect(), tables))
        *session << sql, now;
}

} // namespace msgbus::core
