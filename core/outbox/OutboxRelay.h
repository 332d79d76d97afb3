#pragma once

#include "core/amqp/AmqpPublisher.h"
#include "core/amqp/AmqpUrl.h"
#include "core/config/Settings.h"
#include "core/db/Database.h"
#include "core/failed/FailedStore.h"
#include "core/host/Metrics.h"
#include "core/host/StopSignal.h"
#include "core/outbox/LaneOwnership.h"
#include "core/outbox/OutboxStore.h"
#include "core/outbox/SqliteRelayLock.h"
#include "core/plugins/PluginRegistry.h"
#include "core/util/Backoff.h"

#include <Poco/Logger.h>

#include <optional>

namespace msgbus::core {

/// Moves outbox rows to the broker (DESIGN §4.1). One instance per relay thread.
///
/// A batch: claim due rows (MySQL: FOR UPDATE SKIP LOCKED inside a transaction held until the
/// batch is settled; SQLite: a plain read, there is one relay per file), encode and route them
/// with the current plugin set, publish them through the confirm window, then in one
/// transaction delete the confirmed rows and record the attempts of the rejected ones.
///
/// No row is deleted before its confirm. A broker outage, nack or lost confirm leaves the rows
/// as they are (republished later: at-least-once, the inbox deduplicates). A row the broker
/// cannot route or the serializer rejects gets attempts/available_at/last_error and, after
/// outbox.max_attempts, moves to the failed table; it never blocks the rows behind it.
///
/// outbox.ordered = true: rows with a partition key are claimed in seq order by the owner of
/// their lane only (LaneOwnership), a key whose head is backing off is skipped as a whole, and
/// a key's rows behind a failure in the same batch are kept for the next one.
class OutboxRelay {
public:
    OutboxRelay(Database& database, PluginRegistry& plugins, const Settings& settings,
                Metrics& metrics, int index);

    /// Runs batches until stop is requested; returns after the batch in flight is settled.
    void run(StopSignal& stop);

    /// One batch. Returns the number of rows claimed (0: nothing was due).
    /// Throws on broker or database failure (the rows stay).
    int relayBatch();

private:
    struct RowFailure {
        std::size_t index;
        std::string error;
    };
    void holdBackBehindFailures(const std::vector<OutboxRow>& rows,
                                std::vector<std::int64_t>& confirmed,
                                std::vector<RowFailure>& failures);
    void settleAgain(const std::vector<OutboxRow>& rows, const std::vector<std::int64_t>& confirmed,
                     const std::vector<RowFailure>& failures, const std::string& why);
    void settle(Poco::Data::Session& session, const std::vector<OutboxRow>& rows,
                const std::vector<std::int64_t>& confirmed,
                const std::vector<RowFailure>& failures);

    Database& _database;
    PluginRegistry& _plugins;
    const Settings& _settings;
    Metrics& _metrics;
    OutboxStore _store;
    FailedStore _failed;
    amqp::AmqpPublisher _publisher;
    Backoff _rowBackoff;
    Backoff _outageBackoff;
    Poco::Logger& _log;
    std::optional<LaneOwnership> _lanes;        ///< set when outbox.ordered
    std::optional<SqliteRelayLock> _sqliteLock; ///< set on SQLite: one relay per file
    bool _standbyLogged = false;
};

} // namespace msgbus::core
