#pragma once

#include "core/inbox/MessageProcessor.h"
#include "core/inbox/RetryPolicy.h"
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
/// One thread.
// Alike on purpose: the inbox workers share one shape (database, plugins, their settings
// slice, metrics, the relays' wake-up; run until the stop token).
class RetryWorker {
public:
    RetryWorker(Database& database, PluginRegistry& plugins, const RetryWorkerSettings& settings,
                Metrics& metrics, std::function<void()> onOutboxWrite);

    void run(StopToken& stop);

    /// Processes the rows due now; returns how many were attempted.
    int retryDue();

private:
    /// Runs one due row through processor, leased first; false when another host took it.
    /// Throws when its run could not be settled (the row is given back).
    bool retryRow(MessageProcessor& processor, const FailedRecord& row);
    /// Moves row (as it was read) to "failed"; false when it changed since it was read.
    bool markUnreadable(FailedRecord row, const std::string& error);
    bool markFailed(FailedRecord row, const std::string& errorClass, const std::string& error);
    /// Gives a leased row back unrun (best effort).
    void giveBack(std::int64_t rowId, int attempt) noexcept;

    Database& _database;
    PluginRegistry& _plugins;
    FailedStore _failed;
    RetryPolicy _policy;
    std::map<std::string, std::unique_ptr<MessageProcessor>> _processors;
    std::vector<std::string> _sources; ///< the keys of _processors: the rows this host retries
    std::shared_ptr<const PluginSet> _pluginsInUse;
    Poco::Logger& _log;
};

} // namespace msgbus::core
