#include "core/db/PartitionRotation.h"

#include "core/db/AdvisoryLock.h"
#include "core/db/Database.h"
#include "core/db/DbErrors.h"
#include "core/db/PartitionRetirement.h"

#include <msgbus/Error.h>

#include <Poco/Data/Statement.h>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

namespace {

const char* const kLockPrefix = "msgbus.partitions";

/// The session's metadata-lock wait, short for the pass and back to the server's default after
/// it (the session returns to the pool).
class ShortLockWait {
public:
    explicit ShortLockWait(Poco::Data::Session& session) : _session(session) {
        _session << "SET SESSION lock_wait_timeout = " +
                        std::to_string(PartitionRotation::kLockWait.count()),
            now;
    }
    ~ShortLockWait() {
        try {
            _session << "SET SESSION lock_wait_timeout = DEFAULT", now;
        } catch (...) {
            // The connection is gone; the setting went with it.
        }
    }
    ShortLockWait(const ShortLockWait&) = delete;
    ShortLockWait& operator=(const ShortLockWait&) = delete;

private:
    Poco::Data::Session& _session;
};

} // namespace

PartitionRotation::PartitionRotation(Database& database, TableNames tables,
                                     std::chrono::milliseconds dedupRetention)
    : _database(database), _tables(std::move(tables)), _retention(dedupRetention) {}

DailyPartitions PartitionRotation::dedup() const {
    return DailyPartitions(_tables.dedup, "processed_at");
}

DailyPartitions PartitionRotation::delivered() const {
    return DailyPartitions(deliveredTableOf(_tables.outbox), "delivered_at");
}

PartitionRotation::Result PartitionRotation::run(std::int64_t nowMs, std::chrono::seconds lockWait,
                                                 bool drop) {
    Result result;
    auto session = _database.session();
    AdvisoryLock lock(*session, kLockPrefix, _tables.dedup, lockWait);
    if (!lock.held())
        return result;
    result.ran = true;
    ShortLockWait wait(*session);
    for (const auto& table : {dedup(), delivered()})
        for (const auto& name : table.addThrough(*session, nowMs, _tables.partitioning.daysAhead))
            result.added.push_back(table.table() + "." + name);
    if (!drop)
        return result;
    result.droppedDedup = this->drop(*session, dedup(), nowMs - _retention.count());
    result.leftovers = PartitionRetirement(delivered()).dropLeftovers(*session);
    return result;
}

PartitionRotation::Dropped PartitionRotation::dropDedupOlderThan(std::int64_t cutoffMs,
                                                                 std::int64_t nowMs,
                                                                 std::chrono::seconds lockWait) {
    if (cutoffMs > nowMs - _retention.count())
        throw Error("refusing to drop deduplication partitions newer than dedup.retention: a "
                    "day inside the window may hold the row of a message that can still come "
                    "back, whose handlers would then run again (rows inside it are deleted "
                    "one by one instead)");
    return dropUnderLock(dedup(), cutoffMs, lockWait);
}

PartitionRotation::Dropped
PartitionRotation::dropDeliveredOlderThan(std::int64_t cutoffMs, std::chrono::seconds lockWait) {
    return dropUnderLock(delivered(), cutoffMs, lockWait);
}

PartitionRotation::Dropped PartitionRotation::dropUnderLock(const DailyPartitions& table,
                                                            std::int64_t cutoffMs,
                                                            std::chrono::seconds lockWait) {
    auto session = _database.session();
    AdvisoryLock lock(*session, kLockPrefix, _tables.dedup, lockWait);
    if (!lock.held())
        throw Error("another msgbus process kept the partition maintenance lock " + lock.name() +
                    " for " + std::to_string(lockWait.count()) + " s; run the cleanup again");
    ShortLockWait wait(*session);
    return drop(*session, table, cutoffMs);
}

PartitionRotation::Dropped PartitionRotation::drop(Poco::Data::Session& session,
                                                   const DailyPartitions& table,
                                                   std::int64_t cutoffMs) {
    const PartitionRetirement retirement(table);
    Dropped dropped;
    // First what an interrupted drop left: its retired tables hold only days it had chosen.
    dropped.leftovers = retirement.dropLeftovers(session);
    dropped.partitions = DailyPartitions::olderThan(table.list(session), cutoffMs);
    try {
        retirement.drop(session, dropped.partitions);
    } catch (const std::exception& e) {
        if (!isLockConflict(e))
            throw;
        throw Error("dropping old partitions of " + table.table() + ": its metadata lock was " +
                    "not granted within " + std::to_string(kLockWait.count()) +
                    " s (a long transaction on the table?); nothing is lost, the drop runs "
                    "again later (" +
                    e.what() + ")");
    }
    return dropped;
}

} // namespace msgbus::core
