#pragma once

#include "core/db/Dialect.h"
#include "core/db/Partitioning.h"

#include <msgbus/OutboxWriter.h>

#include <cstddef>
#include <string>
#include <vector>

namespace msgbus::core {

class Database;

/// The largest body the body columns (MEDIUMBLOB on MariaDB) can hold.
inline constexpr std::size_t kMediumBlobBytes = 16 * 1024 * 1024 - 1;

/// The names of the configured tables, validated identifiers. The runs table is named after
/// the deduplication table (runsTableOf), the delivered table after the outbox.
struct TableNames {
    /// A producer's OutboxWriter and the host agree on the outbox when neither is configured.
    std::string outbox = OutboxWriter::Options{}.table;
    std::string dedup = "message_broker_deduplication";
    std::string failed = "messenger_messages";
    /// host.table: one heartbeat row per host (id, version, plugin set, last beat).
    std::string hosts = "msgbus_hosts";
    /// Not a name, but it changes the dedup and delivered tables' keys and DDL: daily adds the
    /// time column to their primary key and partitions them by it (MariaDB/MySQL).
    Partitioning partitioning{};
};

/// The table of handler runs that began and have not ended, that goes with a deduplication
/// table: "<dedup.table>_runs".
inline std::string runsTableOf(const std::string& dedupTable) {
    return dedupTable + "_runs";
}

/// The outbox's audit trail that goes with an outbox table: "<outbox.table>_delivered".
inline std::string deliveredTableOf(const std::string& outboxTable) {
    return outboxTable + "_delivered";
}

/// The operators' audit trail that goes with a failed table: "<failed.table>_audit" (one row per
/// retry, removal or replay an operator made, from the console or the command line).
inline std::string auditTableOf(const std::string& failedTable) {
    return failedTable + "_audit";
}

/// The type of a column definition alone, upper case, without length or constraints
/// ("BINARY(16) NOT NULL" → "BINARY"): what a database's catalogue reports back for the column.
std::string baseSqlType(const std::string& definition);

/// One column of a msgbus table: its name and its definition (type and constraints) in each
/// dialect, as the DDL writes them.
struct ColumnSpec {
    std::string name;
    std::string mysql;
    std::string sqlite;

    /// baseSqlType of the dialect's definition.
    std::string baseType(Dialect dialect) const {
        return baseSqlType(dialect == Dialect::MySQL ? mysql : sqlite);
    }
};

/// A secondary index of a msgbus table, by its columns in order.
struct IndexSpec {
    std::string name;
    std::vector<std::string> columns;
    bool unique = false;
    /// What needs it ("the relay's claim query"), for messages.
    std::string purpose{};
};

/// One msgbus table as `msgbus setup` creates it: the single description that both the DDL and
/// `msgbus check` are derived from, so the two cannot drift apart.
struct TableSpec {
    std::string role; ///< "outbox", "delivered", "dedup", "runs", "failed", "audit", "hosts",
                      ///< "sequences", "parked"
    std::string name;
    std::vector<ColumnSpec> columns;
    /// The primary key's columns. A one-column key is part of that column's definition
    /// (AUTO_INCREMENT and AUTOINCREMENT need it there); a longer one becomes a PRIMARY KEY line.
    std::vector<std::string> primaryKey;
    std::vector<IndexSpec> indexes;
    /// SQLite only: the table is clustered on its primary key.
    bool withoutRowid = false;
    /// MariaDB/MySQL with dedup.partitioning = daily: the epoch-ms column the table is
    /// range-partitioned on by day (part of the primary key); empty: not partitioned.
    std::string partitionColumn{};
};

/// The DDL of the outbox, delivered, deduplication, runs, failed, audit, hosts, sequences and
/// parked tables. Every statement is idempotent (IF NOT EXISTS), so `msgbus setup` can run any
/// number of times.
class Schema {
public:
    /// The tables, in the order the DDL creates them. Throws msgbus::InvalidArgument
    /// naming the key of a table name that is not a plain SQL identifier.
    static std::vector<TableSpec> tables(const TableNames& tables);
    static std::vector<std::string> statements(Dialect dialect, const TableNames& tables);
    /// Creates what is missing: tables, and on a table made by an older msgbus the nullable
    /// columns and the indexes added since (its rows are kept; the new columns start NULL).
    static void apply(Database& database, const TableNames& tables);
};

} // namespace msgbus::core
