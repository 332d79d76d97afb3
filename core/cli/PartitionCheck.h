#pragma once

#include "core/cli/CheckReport.h"
#include "core/config/Settings.h"

namespace msgbus::core {
class Database;
}

namespace msgbus::core::cli {

/// The partitioning part of `msgbus check` (MariaDB/MySQL): FAIL when a table is partitioned
/// otherwise than dedup.partitioning says; with daily, per table the days it has, WARN when
/// fewer than dedup.partitions_ahead days are ready after today (the maintenance of the hosts
/// has not run: once they run out, rows pile up in the future partition, which no cleanup can
/// drop) or when the future partition holds rows. Changes nothing.
class PartitionCheck {
public:
    PartitionCheck(const Settings& settings, CheckReport& report)
        : _settings(settings), _report(report) {}

    void run(Database& database);

private:
    const Settings& _settings;
    CheckReport& _report;
};

} // namespace msgbus::core::cli
