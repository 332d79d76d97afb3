#pragma once

#include "core/config/WorkerSettings.h"
#include "core/db/Database.h"
#include "core/inbox/BatchAborted.h"
#include "core/inbox/BatchTransaction.h"
#include "core/inbox/DedupStore.h"
#include "core/inbox/FailureRecorder.h"
#include "core/inbox/HandlerRunner.h"
#include "core/inbox/InboxItem.h"
#include "core/inbox/KeyParking.h"
#include "core/inbox/LoneMessages.h"
#include "core/inbox/MessageDecoder.h"
#include "core/inbox/OutcomeLog.h"
#include "core/inbox/PreparedMessage.h"
#include "core/inbox/ProcessResult.h"
#include "core/metrics/Metrics.h"
#include "core/plugins/PluginSet.h"

#include <msgbus/WireMessage.h>

#include <Poco/Logger.h>

#include <functional>
#include <span>
#include <string>
#include <vector>

namespace msgbus::core {

/// The inbox pipeline of one consumer, shared by the AMQP consumer and the retry
/// worker. A batch of messages goes through ONE transaction (BatchTransaction):
///
///   decode each → find its handler → known duplicates by one SELECT → dedup rows of the rest by
///   one multi-row insert-or-ignore → the handlers → failed/retry rows → COMMIT.
///
/// That is the fast path: one commit and a handful of statements per batch, whatever its size.
/// A batch handler gets its messages of the batch in one call (HandlerCalls). When a handler
/// throws, the whole transaction is rolled back and the batch is run again with a savepoint per
/// call, the messages of a batch call that failed each alone, so only the failing message's
/// work is undone; it gets a retry row (or, after retry.max_retries, a failed row). When the
/// connection is lost under a batch call, BatchAborted names no suspect and its messages run
/// alone when they come back (LoneMessages). Malformed
/// input, an unknown name or a bad id get a failed row holding the raw body and headers. Every
/// outcome is committed before processBatch() returns, so the caller may ack the whole batch. A
/// lost connection, deadlock or lock timeout of the inbox's own session throws: nothing was
/// committed, the caller nacks with requeue and backs off.
///
/// A batch never waits on its worst member: when the batch fails for any other reason (a
/// statement of ours the database refuses for one message's sake), every message is run again
/// alone, each in its own transaction, and only the guilty one ends in the failed table.
///
/// What a handler throws is always that handler's failure (a retry row), whatever its text:
/// only the inbox transaction itself failing (its savepoint cannot be rolled back to, or its
/// dedup rows vanished under the handlers, as after a deadlock a handler swallowed) aborts the
/// batch. Which failure leads where, FailureClassifier decides; retry or failed, RetryPolicy.
///
/// For an ordered consumer (inbox.consumer.<c>.ordered), KeyParking parks the messages whose
/// partition key waits behind a head in the retry or failed table, in the same transaction,
/// and a head that succeeds from the retry table releases its key (SequenceReleaser runs the
/// parked messages).
///
/// Once committed, outcomes are counted (Metrics), logged (OutcomeLog) and traced
/// (HandlingSpan).
///
/// Not thread-safe: one per worker thread. The plugin set is passed per batch (a snapshot).
class MessageProcessor {
public:
    MessageProcessor(Database& database, const PipelineSettings& settings, Metrics& metrics,
                     std::string consumer, std::function<void()> onOutboxWrite = {});

    /// Runs items through the pipeline; one result per item, in order. Throws BatchAborted or
    /// another exception when nothing was committed (the caller gives the batch back).
    std::vector<ProcessResult> processBatch(const PluginSet& plugins,
                                            std::span<const InboxItem> items);

    /// One message (the retry worker's unit).
    ProcessResult process(const PluginSet& plugins, const WireMessage& wire, int attempt,
                          std::int64_t retryRowId = 0);

    const std::string& consumer() const noexcept { return _consumer; }

private:
    void run(Poco::Data::Session& session, std::span<PreparedMessage> batch);
    void runAlone(Poco::Data::Session& session, std::span<PreparedMessage> batch);
    /// Records the failure of a message that failed alone in a transaction of its own; false
    /// when even that failed (it then goes back to the broker).
    bool recordGuilty(Poco::Data::Session& session, PreparedMessage& p, const Failure& failure,
                      bool nothingCommitted);
    void report(std::span<const PreparedMessage> batch);
    void count(const PreparedMessage& p, std::int64_t committedAt);
    /// The handle span of a committed outcome, when spans are recorded and the message traced.
    void recordSpan(const PreparedMessage& p);

    Database& _database;
    Metrics& _metrics;
    std::string _consumer;
    MessageDecoder _decoder;
    DedupStore _dedup;
    FailureRecorder _recorder;
    SequenceStore _sequences;
    KeyParking _parking;
    HandlerRunner _runner;
    BatchTransaction _transaction;
    OutcomeLog _outcomeLog;
    LoneMessages _lone;
    std::function<void()> _onOutboxWrite;
    Poco::Logger& _log;
};

} // namespace msgbus::core
