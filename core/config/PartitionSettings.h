#pragma once

#include "core/db/Partitioning.h"
#include "core/db/Schema.h"

namespace msgbus::core {

class ConfigReader;
struct Settings;

/// Reads dedup.partitioning and dedup.partitions_ahead into s.partitioning, after db.*: daily
/// on SQLite is refused (ConfigError naming the key), SQLite has no partitions.
void loadPartitioning(ConfigReader& read, Settings& s);

/// The configured tables (outbox.table, dedup.table, failed.table, host.table) and their
/// partitioning, as `msgbus setup` makes them.
TableNames tableNamesOf(const Settings& s);

} // namespace msgbus::core
