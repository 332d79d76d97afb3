#pragma once

#include "core/config/Settings.h"
#include "core/db/Database.h"
#include "core/failed/FailedStore.h"
#include "core/host/Metrics.h"
#include "core/inbox/DedupStore.h"
#include "core/plugins/PluginSet.h"
#include "core/util/Backoff.h"

#include <msgbus/WireMessage.h>

#include <Poco/Logger.h>

#include <functional>
#include <memory>

namespace msgbus::core {

/// What became of one message.
enum class ProcessResult {
    Handled,   ///< handlers ran and committed with the dedup row
    Duplicate, ///< the dedup row existed: nothing ran
    Retry,     ///< a handler failed: a retry row was written
    Failed,    ///< permanent: a failed row was written
};

/// The inbox pipeline for one message of one consumer (DESIGN §4.2), shared by the AMQP
/// consumers and the retry worker: decode → find the handler → one transaction holding the
/// dedup insert-or-ignore and the handler's work → commit. A handler exception rolls back and
/// writes a retry row (or, after retry.max_retries, a failed row); malformed input, an unknown
/// name or a bad id writes a failed row with the raw body and headers. Every outcome is durable
/// before process() returns, so the caller may ack. Database trouble throws (the caller nacks
/// with requeue, or leaves the retry row, and backs off).
/// Not thread-safe (one per worker thread); the plugin set is passed per call.
class MessageProcessor {
public:
    MessageProcessor(Database& database, const Settings& settings, Metrics& metrics,
                     std::string consumer, std::function<void()> onOutboxWrite = {});

    /// attempt: 1 for a fresh delivery; a retry passes the retry row's attempts + 1.
    /// retryRowId: the retry row this attempt comes from (deleted in the same transaction on
    /// success, updated on failure), or 0.
    ProcessResult process(const PluginSet& plugins, const WireMessage& wire, int attempt,
                          std::int64_t retryRowId = 0);

    const std::string& consumer() const noexcept { return _consumer; }

private:
    ProcessResult fail(Poco::Data::Session& session, const WireMessage& wire,
                       const std::optional<Id>& id, const std::optional<std::string>& name,
                       const std::string& errorClass, const std::string& error, int attempts,
                       std::int64_t retryRowId);
    ProcessResult retryLater(Poco::Data::Session& session, const WireMessage& wire,
                             const Message& message, const std::string& errorClass,
                             const std::string& error, int attempt, std::int64_t retryRowId);

    Database& _database;
    const Settings& _settings;
    Metrics& _metrics;
    std::string _consumer;
    std::string _source;
    DedupStore _dedup;
    FailedStore _failed;
    Backoff _retryBackoff;
    std::function<void()> _onOutboxWrite;
    Poco::Logger& _log;
};

} // namespace msgbus::core
