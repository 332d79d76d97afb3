#include "core/cli/PartitionDrops.h"

#include "core/config/PartitionSettings.h"
#include "core/db/PartitionRotation.h"
#include "core/util/Clock.h"

#include <algorithm>
#include <iostream>

namespace msgbus::core::cli {
namespace {

/// Another process's maintenance pass is a few DDL statements: worth waiting for.
constexpr std::chrono::seconds kLockWait{60};

void print(const PartitionRotation::Dropped& done, const std::string& table) {
    for (const auto& name : done.leftovers)
        std::cout << "dropped " << name << ", left by an interrupted partition drop\n";
    const auto& dropped = done.partitions;
    if (dropped.empty())
        return;
    std::int64_t rows = 0;
    std::string names;
    for (const auto& p : dropped) {
        rows += p.rows;
        names += (names.empty() ? "" : ", ") + p.name;
    }
    std::cout << "dropped " << dropped.size() << " partition(s) of " << table << " (" << names
              << "), about " << rows << " row(s)\n";
}

} // namespace

void PartitionDrops::dedup(std::int64_t cutoffMs) {
    if (!_settings.partitioning.daily)
        return;
    PartitionRotation rotation(_database, tableNamesOf(_settings), _settings.dedupRetention);
    const std::int64_t now = nowMillis();
    const std::int64_t guarded = std::min(cutoffMs, now - _settings.dedupRetention.count());
    print(rotation.dropDedupOlderThan(guarded, now, kLockWait), _settings.dedupTable);
}

void PartitionDrops::delivered(std::int64_t cutoffMs) {
    if (!_settings.partitioning.daily)
        return;
    PartitionRotation rotation(_database, tableNamesOf(_settings), _settings.dedupRetention);
    print(rotation.dropDeliveredOlderThan(cutoffMs, kLockWait), rotation.delivered().table());
}

} // namespace msgbus::core::cli
