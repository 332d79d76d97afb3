#pragma once

#include "core/db/DailyPartitions.h"
#include "core/db/Schema.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace msgbus::core {

class Database;

/// The partition maintenance of the deduplication and delivered tables (dedup.partitioning =
/// daily): adds the days ahead, drops the days that left the retention. Every pass holds one
/// database-wide named lock (AdvisoryLock), so hosts, `msgbus setup` and the cleanup commands
/// take turns instead of racing on the same ALTER TABLE.
///
/// The retry/dedup window guard: a deduplication partition is dropped only when every row of
/// it is older than dedup.retention (its bound at or before now - retention). A day any of
/// whose range is inside the window may hold the row of a message that can still come back,
/// and without its row the message's handlers would run a second time.
///
/// Days are dropped by PartitionRetirement (swapped out into a table of their own first, so the
/// live table is locked only for short renames); a drop first removes what an interrupted one
/// left behind.
///
/// Each DDL statement waits at most kLockWait for the table's metadata lock: while it waits,
/// the inbox's new transactions on the table queue behind it, so a long-running transaction
/// makes the pass fail (it is run again later) rather than stall the inbox for long.
class PartitionRotation {
public:
    static constexpr std::chrono::seconds kLockWait{2};

    /// What a drop removed: the days, and the retired tables an interrupted drop had left.
    struct Dropped {
        std::vector<TablePartition> partitions;
        std::vector<std::string> leftovers;
    };

    /// What a pass did: ran is false when another process held the lock (nothing done).
    struct Result {
        bool ran = false;
        std::vector<std::string> added;     ///< "<table>.<partition>"
        Dropped droppedDedup;               ///< the deduplication days dropped
        std::vector<std::string> leftovers; ///< the delivered table's retired tables dropped
    };

    /// tables: the configured names (their partitioning says which tables are partitioned);
    /// dedupRetention: dedup.retention.
    PartitionRotation(Database& database, TableNames tables,
                      std::chrono::milliseconds dedupRetention);

    /// One pass at nowMs: both tables get their days through nowMs + daysAhead; with drop, the
    /// deduplication days wholly older than the retention go, and both tables' leftovers. lockWait:
    /// how long to wait for another process's pass (0: give up at once, ran = false).
    Result run(std::int64_t nowMs, std::chrono::seconds lockWait, bool drop);

    /// cleanup:dedup: drops the deduplication days wholly older than cutoffMs. Throws
    /// msgbus::Error naming dedup.retention, dropping nothing, when cutoffMs is later than
    /// nowMs - dedup.retention (the window guard); waits for another pass up to lockWait.
    Dropped dropDedupOlderThan(std::int64_t cutoffMs, std::int64_t nowMs,
                               std::chrono::seconds lockWait);

    /// cleanup:outbox: drops the delivered table's days wholly older than cutoffMs (the audit
    /// trail has no window to guard: its rows are never consulted for deduplication).
    Dropped dropDeliveredOlderThan(std::int64_t cutoffMs, std::chrono::seconds lockWait);

    DailyPartitions dedup() const;
    DailyPartitions delivered() const;

private:
    Dropped dropUnderLock(const DailyPartitions& table, std::int64_t cutoffMs,
                          std::chrono::seconds lockWait);
    static Dropped drop(Poco::Data::Session& session, const DailyPartitions& table,
                        std::int64_t cutoffMs);

    Database& _database;
    TableNames _tables;
    std::chrono::milliseconds _retention;
};

} // namespace msgbus::core
