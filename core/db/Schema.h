#pragma once

#include "core/db/Dialect.h"

#include <string>
#include <vector>

namespace msgbus::core {

class Database;

/// The names of the three configured tables, validated identifiers. The runs table is named
/// after the deduplication table (runsTableOf).
struct TableNames {
    std::string outbox = "messenger_outbox";
    std::string dedup = "message_broker_deduplication";
    std::string failed = "messenger_messages";
};

/// The table of handler runs that began and have not ended, that goes with a deduplication
/// table: "<dedup.table>_runs".
inline std::string runsTableOf(const std::string& dedupTable) {
    return dedupTable + "_runs";
}

/// The DDL of the outbox, deduplication, runs and failed tables. Every statement is idempotent
/// (IF NOT EXISTS), so `msgbus setup` can run any number of times.
class Schema {
public:
    static std::vector<std::string> statements(Dialect dialect, const TableNames& tables);
    static void apply(Database& database, const TableNames& tables);
};

} // namespace msgbus::core
