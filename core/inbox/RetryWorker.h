#pragma once

#include "core/inbox/LeaseSettler.h"
#include "core/inbox/MessageProcessor.h"
#include "core/inbox/RetryPolicy.h"
#include "core/inbox/SequenceReleaser.h"
#include "core/plugins/PluginRegistry.h"
#include "core/util/StopToken.h"

#include <Poco/Logger.h>

#include <functional>
#include <map>
#include <memory>

namespace msgbus::core {

/// Re-runs due retry rows (queue_name = 'retry', source 'amqp:<consumer>') through their
/// consumer's pipeline: dedup, handler and the removal of the retry row commit together; a new
/// failure moves available_at on, and after retry.max_retries the row becomes 'failed'.
/// Rows of consumers this host does not run are left for a host that does.
///
/// Each row is leased before it runs (its attempt counted and committed, and its due time moved
/// on), so a row never runs on two hosts at once, and a row whose run kills its host comes due
/// again with one attempt more: past retry.max_retries it becomes 'failed' without running.
/// A row whose handler ran and whose statement died with the connection (longer than
/// db.io_timeout_ms, or killed by the server) has its attempt counted, like any handler failure,
/// and the other rows of the cycle still run. A database outage is never a message's failure:
/// a row that committed nothing without a handler to blame is given back unrun (its attempt not
/// counted), and the cycle stops and backs off, logging once per outage (LeaseSettler keeps
/// the writes the database was away for). The stop token is checked between rows: a stop waits
/// for the row in hand only.
///
/// After the due rows, each ordered consumer's SequenceReleaser runs the parked messages whose
/// head is resolved: a head's successful retry releases its key within the same cycle.
/// One thread.
// Alike on purpose: the inbox workers share one shape (database, plugins, their settings
// slice, metrics, the relays' wake-up; run until the stop token).
class RetryWorker {
public:
    RetryWorker(Database& database, PluginRegistry& plugins, const RetryWorkerSettings& settings,
                Metrics& metrics, std::function<void()> onOutboxWrite);

    void run(StopToken& stop);

    /// Processes the rows due now, until stop is requested (checked between rows); returns how
    /// many were attempted. Throws when the database is away (what was not run waits, unleased).
    int retryDue(const StopToken& stop);
    /// retryDue() of every due row, without a stop.
    int retryDue();

private:
    /// Runs one due row through processor, leased first; false when another host took it.
    /// Throws when its run could not be settled and no handler is to blame (the row is given
    /// back unrun), or its failure could not be recorded (LeaseSettler owes the write).
    bool retryRow(MessageProcessor& processor, const FailedRecord& row);
    /// Runs the leased row (its attempt-th attempt) and settles what its run left unsettled.
    void runLeased(MessageProcessor& processor, std::int64_t rowId, const WireMessage& wire,
                   int attempt);
    /// Moves row (as it was read) to "failed"; false when it changed since it was read.
    bool markUnreadable(FailedRecord row, const std::string& error);
    bool markFailed(FailedRecord row, const std::string& errorClass, const std::string& error);
    /// Once: releasers for the consumers that are not ordered but have sequences left from when
    /// they were (their parked messages must not be stranded), with a warning.
    void adoptLeftoverSequences();

    Database& _database;
    PluginRegistry& _plugins;
    FailedStore _failed;
    RetryPolicy _policy;
    Poco::Logger& _log;
    LeaseSettler _settler;
    std::map<std::string, std::unique_ptr<MessageProcessor>> _processors;
    std::vector<std::string> _sources; ///< the keys of _processors: the rows this host retries
    std::vector<std::unique_ptr<SequenceReleaser>> _releasers; ///< one per ordered consumer
    std::shared_ptr<const PluginSet> _pluginsInUse;
    std::string _leaseOwner;
    /// For adoptLeftoverSequences: the consumers that are not ordered, until it has run.
    std::vector<std::string> _unordered;
    PipelineSettings _pipeline;
    Metrics& _metrics;
    std::function<void()> _onOutboxWrite;
};

} // namespace msgbus::core
