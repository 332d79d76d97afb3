#include "core/config/PartitionSettings.h"

#include "core/config/ConfigError.h"
#include "core/config/ConfigReader.h"
#include "core/config/Settings.h"

namespace msgbus::core {

void loadPartitioning(ConfigReader& read, Settings& s) {
    const std::string key = "dedup.partitioning";
    const std::string mode = read.string(key, s.partitioning.daily ? "daily" : "none");
    if (mode != "none" && mode != "daily")
        throw ConfigError(key, "'" + mode + "' is not none or daily");
    s.partitioning.daily = mode == "daily";
    if (s.partitioning.daily && s.db.connector == "SQLite")
        throw ConfigError(key, "daily needs MariaDB/MySQL (db.connector = MySQL): SQLite has no "
                               "table partitions; set none, and cleanup:dedup and cleanup:outbox "
                               "delete old rows in batches");
    s.partitioning.daysAhead =
        read.integer32("dedup.partitions_ahead", s.partitioning.daysAhead, 1, 366);
}

TableNames tableNamesOf(const Settings& s) {
    return TableNames{s.outbox.table, s.dedupTable, s.failedTable, s.host.table, s.partitioning};
}

} // namespace msgbus::core
