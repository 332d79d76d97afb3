#pragma once

#include "core/config/Settings.h"

#include <cstdint>

namespace msgbus::core {
class Database;
}

namespace msgbus::core::cli {

/// The partition part of cleanup:dedup and cleanup:outbox with dedup.partitioning = daily: the
/// days wholly older than the cutoff are dropped (one ALTER TABLE, however many rows), and the
/// command's batched DELETE is left with the rows of the edge day, the one the cutoff falls in.
/// Each prints what it dropped. Nothing happens with dedup.partitioning = none.
class PartitionDrops {
public:
    PartitionDrops(Database& database, const Settings& settings)
        : _database(database), _settings(settings) {}

    /// The deduplication days wholly older than cutoffMs and than dedup.retention (the window
    /// guard: a younger day is not dropped even with --force; its old rows are deleted).
    void dedup(std::int64_t cutoffMs);
    /// The delivered table's days wholly older than cutoffMs.
    void delivered(std::int64_t cutoffMs);

private:
    Database& _database;
    const Settings& _settings;
};

} // namespace msgbus::core::cli
