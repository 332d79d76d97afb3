#pragma once

#include "core/host/StopSignal.h"
#include "core/inbox/MessageProcessor.h"
#include "core/plugins/PluginRegistry.h"

#include <Poco/Logger.h>

#include <map>
#include <memory>

namespace msgbus::core {

/// Re-runs due retry rows (queue_name = 'retry', source 'amqp:<consumer>') through their
/// consumer's pipeline: dedup, handler and the removal of the retry row commit together; a new
/// failure moves available_at on, and after retry.max_retries the row becomes 'failed'
/// (DESIGN §4.2). Rows of consumers this host does not run are left for a host that does.
/// One thread.
class RetryWorker {
public:
    RetryWorker(Database& database, PluginRegistry& plugins, const Settings& settings,
                Metrics& metrics, std::function<void()> onOutboxWrite);

    void run(StopSignal& stop);

    /// Processes the rows due now; returns how many were attempted.
    int retryDue();

private:
    void markUnreadable(FailedRecord row, const std::string& error);

    Database& _database;
    PluginRegistry& _plugins;
    const Settings& _settings;
    FailedStore _failed;
    std::map<std::string, std::unique_ptr<MessageProcessor>> _processors;
    std::vector<std::string> _sources; ///< the keys of _processors: the rows this host retries
    std::shared_ptr<const PluginSet> _pluginsInUse;
    Poco::Logger& _log;
};

} // namespace msgbus::core
