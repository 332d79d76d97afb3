#pragma once

#include "core/db/Database.h"
#include "core/failed/FailedStore.h"
#include "core/inbox/Failure.h"
#include "core/inbox/RetryPolicy.h"
#include "core/metrics/Metrics.h"

#include <Poco/Logger.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace msgbus::core {

/// Ends the lease of a retry row whose run committed no outcome, in one of two ways:
/// - given back unrun (the database was away, and no handler is to blame): "retry" again, its
///   attempts as before, due now;
/// - its attempt counted (its handler ran and its statement died with the connection: longer
///   than db.io_timeout_ms, or killed by the server): the row becomes the next retry, or failed
///   after retry.max_retries, with the error.
/// Either is written on a fresh session: the run's session died with its connection.
///
/// When the database is away for that write too, the write is owed: kept here and made before
/// the worker claims again (settleOwed()). Every write holds only while the row is still this
/// lease ("running" with the leased attempts); if the lease ran out meanwhile and a host took
/// the row again, the write is dropped and the attempt stays counted once, by the lease. Owed
/// writes live as long as the worker: should the host stop first, the lease runs out and the
/// row comes back with the attempt counted, never lost.
///
/// Not thread-safe: one per retry worker. Borrows database, metrics and log.
class LeaseSettler {
public:
    LeaseSettler(Database& database, const std::string& failedTable, const RetryPolicy& policy,
                 Metrics& metrics, Poco::Logger& log);

    /// Gives the leased row back unrun. Never throws: when the database is away, the write is
    /// owed (and logged).
    void giveBack(std::int64_t rowId, int attempt) noexcept;

    /// Counts the leased attempt as failed with failure. Throws when it cannot be written (the
    /// database is away): the write is then owed.
    void countAttempt(std::int64_t rowId, int attempt, const Failure& failure);

    /// Makes the owed writes, oldest first. Throws when the database is still away; what was
    /// not written stays owed. A write the database refuses for any other reason is dropped
    /// (logged): the lease runs out instead.
    void settleOwed();

    std::size_t owed() const noexcept { return _owed.size(); }

private:
    struct Write {
        std::int64_t rowId = 0;
        int attempt = 0;
        std::optional<Failure> failure; ///< none: a give-back
    };

    /// Makes write on a session of its own; false when the row is no longer this lease.
    bool make(const Write& write);
    /// The failure's UPDATE; false when the row is no longer this lease.
    bool count(Poco::Data::Session& session, const Write& write);

    Database& _database;
    FailedStore _failed;
    RetryPolicy _policy;
    Metrics& _metrics;
    Poco::Logger& _log;
    std::vector<Write> _owed;
};

} // namespace msgbus::core
