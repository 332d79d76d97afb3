#pragma once

#include "core/db/Schema.h"
#include "core/util/StopToken.h"

#include <chrono>

namespace msgbus::core {

class Database;

/// The host's maintenance step with dedup.partitioning = daily: a PartitionRotation pass at
/// start and every kInterval (kRetryAfter after a failed one), on the thread that calls run().
/// Hosts take turns through the rotation's lock; a host that finds it held skips the pass (the
/// holder does the work). A failure (database away, a long transaction holding the table) is
/// logged and never stops the host: the days ahead leave a week's slack, and the future
/// partition takes rows even when they run out.
class PartitionMaintainer {
public:
    static constexpr std::chrono::hours kInterval{1};
    static constexpr std::chrono::minutes kRetryAfter{5};

    PartitionMaintainer(Database& database, TableNames tables,
                        std::chrono::milliseconds dedupRetention)
        : _database(database), _tables(std::move(tables)), _retention(dedupRetention) {}

    /// Runs passes until stop is requested.
    void run(StopToken& stop);

    /// One pass; false when it failed (logged).
    bool runOnce();

private:
    Database& _database;
    TableNames _tables;
    std::chrono::milliseconds _retention;
};

} // namespace msgbus::core
