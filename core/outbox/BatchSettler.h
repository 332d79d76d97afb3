#pragma once

#include "core/config/Settings.h"
#include "core/db/Transaction.h"
#include "core/failed/FailedStore.h"
#include "core/outbox/DeliveredStore.h"
#include "core/outbox/OutboxStore.h"
#include "core/outbox/RowFailure.h"
#include "core/util/Backoff.h"

#include <Poco/Logger.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace msgbus::core {

/// The settle of a relayed batch, in the caller's transaction, which it commits: confirmed rows
/// are deleted (or, with outbox.keep_delivered, moved to the delivered table with their route);
/// a failed row gets its attempt, error and backoff, or after outbox.max_attempts (at once when
/// the failure is permanent) moves to the failed table. What a settle did is logged and counted
/// by report(), once it committed: a settle rolled back and run again counts once.
/// One per relay thread; not thread-safe.
class BatchSettler {
public:
    BatchSettler(Dialect dialect, const OutboxSettings& outbox, const std::string& failedTable,
                 OutboxStore& store);

    /// keep_delivered: finds the delivered table, again a minute after it was missing. A table
    /// that is missing, or a record it refuses, costs the record, never the delivery: the rows
    /// are deleted as without the key, and the loss is logged.
    void lookForDeliveredTable(Poco::Data::Session& session);

    /// Settles the batch in tx, the transaction open on session, and commits it; the DELETE
    /// of the settled rows goes with the COMMIT (one round trip on MariaDB). routes[i]: where
    /// rows[i] was published (for the delivered table); confirmed holds seqs, failures row
    /// indexes. Throws, tx still open, when the settle fails; when the COMMIT's answer was lost
    /// with the connection, whether it committed is unknown (the rows are confirmed ones, so
    /// either way no row is lost).
    void settleAndCommit(Poco::Data::Session& session, Transaction& tx,
                         const std::vector<OutboxRow>& rows,
                         const std::vector<DeliveredRoute>& routes,
                         const std::vector<std::int64_t>& confirmed,
                         const std::vector<RowFailure>& failures);

    /// Logs what the last committed settleAndCommit() did; returns how many rows it failed.
    std::uint64_t report();

private:
    void recordDelivered(Poco::Data::Session& session, const std::vector<DeliveredRoute>& routes,
                         const std::vector<std::int64_t>& confirmed);
    void settleFailure(Poco::Data::Session& session, const OutboxRow& row,
                       const RowFailure& failure, std::int64_t now,
                       std::vector<std::int64_t>& toDelete);

    Dialect _dialect;
    const OutboxSettings& _outbox;
    OutboxStore& _store;
    FailedStore _failed;
    Backoff _rowBackoff;
    Poco::Logger& _log;
    std::optional<DeliveredStore> _delivered; ///< set while keep_delivered has its table
    std::chrono::steady_clock::time_point _lookForDeliveredAt{};
    /// What settleAndCommit() did, reported once its transaction committed.
    struct Report {
        std::uint64_t failed = 0;
        std::vector<std::string> errors;
        std::vector<std::string> warnings;
    } _settled;
};

/// The failed-table row of an outbox row that will not go out (attempts: its attempts so far,
/// this one included). Pure.
FailedRecord failedRecordOf(const OutboxRow& row, const RowFailure& failure, int attempts,
                            std::int64_t now);

} // namespace msgbus::core
