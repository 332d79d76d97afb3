#include "core/cli/PartitionCheck.h"

#include "core/config/PartitionSettings.h"
#include "core/db/Database.h"
#include "core/db/PartitionLayout.h"
#include "core/db/PartitionRetirement.h"
#include "core/db/PartitionRotation.h"
#include "core/util/Clock.h"

namespace msgbus::core::cli {
namespace {

/// "<days> partitions from p.. through p.., ..." and the warnings of one partitioned table.
void checkDays(CheckReport& report, const DailyPartitions& table,
               const std::vector<TablePartition>& partitions, int daysAhead) {
    const std::string name = "partitions of " + table.table();
    if (partitions.empty()) {
        report.fail(name, "not partitioned, but dedup.partitioning = daily: run msgbus setup");
        return;
    }
    std::optional<std::int64_t> lastBound;
    std::int64_t futureRows = 0;
    for (const auto& p : partitions) {
        if (p.lessThan)
            lastBound = p.lessThan;
        else
            futureRows = p.rows;
    }
    const std::int64_t today = DailyPartitions::dayStart(nowMillis());
    const std::int64_t ready =
        lastBound ? (*lastBound - today) / DailyPartitions::kDayMs - 1 : -1; // days after today
    const std::string detail = std::to_string(partitions.size()) + " partitions, " +
                               partitions.front().name + " through " + partitions.back().name +
                               ", " + std::to_string(ready < 0 ? 0 : ready) +
                               " day(s) ready after today";
    if (ready < daysAhead) {
        report.warn(name, detail + ", fewer than dedup.partitions_ahead (" +
                              std::to_string(daysAhead) +
                              "): no host's maintenance has run lately; start a host or run "
                              "msgbus setup, or new rows land in the future partition, which "
                              "no cleanup drops");
        return;
    }
    if (futureRows > 0) {
        report.warn(name, detail + "; about " + std::to_string(futureRows) +
                              " row(s) in the future partition " + DailyPartitions::kFuture +
                              " (a clock ahead?): the maintenance moves them when it adds "
                              "their days");
        return;
    }
    report.ok(name, detail);
}

} // namespace

void PartitionCheck::run(Database& database) {
    if (database.dialect() != Dialect::MySQL)
        return;
    const TableNames names = tableNamesOf(_settings);
    auto session = database.session();
    const auto problems = PartitionLayout(names).mismatches(*session);
    for (const auto& problem : problems)
        _report.fail("partitioning", problem);
    if (!_settings.partitioning.daily || !problems.empty())
        return;
    PartitionRotation rotation(database, names, _settings.dedupRetention);
    for (const auto& table : {rotation.dedup(), rotation.delivered()})
        _report.attempt("partitions of " + table.table(), [&] {
            checkDays(_report, table, table.list(*session), _settings.partitioning.daysAhead);
            for (const auto& name : PartitionRetirement(table).leftovers(*session))
                _report.info("partitions of " + table.table(),
                             "table " + name +
                                 " is left by an interrupted partition drop (it holds only rows "
                                 "that were being dropped); the next maintenance pass or cleanup "
                                 "drops it");
        });
}

} // namespace msgbus::core::cli
