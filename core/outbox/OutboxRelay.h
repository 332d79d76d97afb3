#pragma once

#include "core/amqp/AmqpPublisher.h"
#include "core/amqp/AmqpUrl.h"
#include "core/config/WorkerSettings.h"
#include "core/db/Database.h"
#include "core/db/Transaction.h"
#include "core/metrics/Metrics.h"
#include "core/outbox/BatchSettler.h"
#include "core/outbox/DeliveredStore.h"
#include "core/outbox/DueTimeWatch.h"
#include "core/outbox/LaneOwnership.h"
#include "core/outbox/OutboxStore.h"
#include "core/outbox/PublishSpans.h"
#include "core/outbox/RefusedRows.h"
#include "core/outbox/RelayWakeup.h"
#include "core/outbox/RowFailure.h"
#include "core/outbox/SqliteRelayLock.h"
#include "core/plugins/PluginRegistry.h"
#include "core/util/Backoff.h"
#include "core/util/StopToken.h"

#include <Poco/Logger.h>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>

namespace msgbus::core {

/// Moves outbox rows to the broker. One instance per relay thread.
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
/// Pipelining (run()): while the broker persists and confirms one batch, the relay settles the
/// batch before it and claims and publishes the next, so neither the broker nor the database
/// waits for the other. Two batches are in flight at most, each holding its own session and
/// claim transaction; SKIP LOCKED keeps the second claim off the first one's rows (on SQLite,
/// the claim leaves out the seqs in flight). Rows committed while the oldest batch waits for
/// its confirms (a ring of the RelayWakeup: the doorbell or an inbox publish) are claimed and
/// published at once when a second batch may be in flight, not after that confirm. Ordered
/// lanes run one batch at a time (a key's next rows must not leave before its earlier ones
/// are confirmed).
///
/// outbox.ordered = true: rows with a partition key are claimed in seq order by the owner of
/// their lane only (LaneOwnership), a key whose head is backing off is skipped as a whole, and
/// a key's rows behind a failure in the same batch are kept for the next one.
class OutboxRelay {
public:
    /// settings is copied: the relay keeps its own slice.
    OutboxRelay(Database& database, PluginRegistry& plugins, const RelaySettings& settings,
                Metrics& metrics, int index);
    ~OutboxRelay();

    /// Runs batches until stop is requested; returns after the batches in flight are settled.
    /// Idle, it polls the outbox every outbox.poll_interval_ms, or at once when wakeup rings,
    /// or when a scheduled row falls due (DueTimeWatch).
    void run(StopToken& stop, RelayWakeup& wakeup);
    /// run() without a wake-up: the outbox is polled at the poll interval only.
    void run(StopToken& stop) {
        RelayWakeup unrung;
        run(stop, unrung);
    }

    /// One batch, claimed, published and settled before it returns (no pipelining). Returns the
    /// number of rows claimed (0: nothing was due). Throws on broker or database failure (the
    /// rows stay).
    int relayBatch();

private:
    /// A claimed batch from its claim until it is settled. On MySQL its session holds the
    /// claim's transaction (the row locks) all along.
    struct PendingBatch {
        std::optional<PooledSession> session;
        std::unique_ptr<Transaction> claim;
        std::vector<OutboxRow> rows;
        /// Where each row (same index) was published to, for the delivered table.
        std::vector<DeliveredRoute> routes;
        /// Traced rows' publish spans (tracing on), recorded once the rows are confirmed.
        PublishSpans spans;
        std::vector<RowFailure> failures; ///< encode/route failures, then unroutable ones
        std::size_t published = 0;
        std::optional<amqp::AmqpPublisher::BatchId> publishId;
        /// The outcomes, when they were collected before finish() (see isolateRefused).
        std::optional<std::vector<amqp::PublishOutcome>> outcomes;
    };

    /// The next step of the pipeline; false when the relay is idle (nothing due, nothing in
    /// flight).
    bool step();
    /// Claims and encodes due rows; nothing when none is due or (pipelined) no session is free.
    std::optional<PendingBatch> claim(bool pipelined);
    void encodeAndSubmit(PendingBatch& batch);
    /// Waits for the batch's confirms and settles it; throws after settling what it could when
    /// the broker did not confirm everything.
    void finish(PendingBatch& batch);
    /// Finishes every batch in flight, oldest first; failures are logged (their rows stay).
    void drain() noexcept;
    /// Records the broker node of a new publisher connection (for /ready).
    void noteNode();
    std::vector<std::int64_t> inFlightSeqs() const;
    /// Publishes the rows at the given indexes one at a time, to find which the broker
    /// refuses (it closed the channel under several); sorts each into confirmed or failures.
    /// Returns false when some could not be settled either way (publish the rest again).
    bool isolateRefused(const PendingBatch& batch, const std::vector<std::size_t>& suspects,
                        std::vector<std::int64_t>& confirmed, std::vector<RowFailure>& failures);
    /// Counts, logs and exports (spans) what the batch's committed settle did.
    void reportSettled(PendingBatch& batch, const std::vector<std::int64_t>& confirmed);
    void settleAgain(Poco::Data::Session& session, const PendingBatch& batch,
                     const std::vector<std::int64_t>& confirmed,
                     const std::vector<RowFailure>& failures, const std::string& why);

    Database& _database;
    PluginRegistry& _plugins;
    const RelaySettings _settings; ///< before _settler, which refers to it
    Metrics& _metrics;
    OutboxStore _store;
    amqp::AmqpPublisher _publisher;
    RefusedRows _refused; ///< after _publisher, which it uses
    BatchSettler _settler;
    Backoff _outageBackoff;
    Poco::Logger& _log;
    std::optional<LaneOwnership> _lanes;        ///< set when outbox.ordered
    std::optional<SqliteRelayLock> _sqliteLock; ///< set on SQLite: one relay per file
    bool _standbyLogged = false;
    std::size_t _pipelineDepth;
    std::string _workerName;
    std::uint64_t _nodeNotedFor = 0;
    bool _nodeNotedConnected = false;
    std::deque<PendingBatch> _inFlight; ///< oldest first
    DueTimeWatch _dueTime;              ///< shortens the idle sleep before a scheduled row
    /// Signalled by the host's RelayWakeup while run() runs: rows were committed.
    WakeSignal _rung;
};

} // namespace msgbus::core
