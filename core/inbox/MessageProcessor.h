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
#include <optional>

namespace msgbus::core {

/// What became of one message.
enum class ProcessResult {
    Handled,   ///< the handler ran and committed with the dedup row
    Duplicate, ///< the dedup row existed: nothing ran
    Retry,     ///< the handler failed: a retry row was written
    Failed,    ///< permanent: a failed row was written
};

/// One message for the pipeline: the wire form, the attempt number (1 for a fresh delivery)
/// and, when it comes from the retry table, that row's id.
struct InboxItem {
    const WireMessage* wire = nullptr;
    int attempt = 1;
    std::int64_t retryRowId = 0;
};

/// The inbox pipeline of one consumer (DESIGN §4.2), shared by the AMQP consumer and the retry
/// worker. A batch of messages goes through ONE transaction:
///
///   decode each → find its handler → known duplicates by one SELECT → dedup rows of the rest by
///   one multi-row insert-or-ignore → the handlers → failed/retry rows → COMMIT.
///
/// That is the fast path: one commit and a handful of statements per batch, whatever its size.
/// When a handler throws, the whole transaction is rolled back and the batch is run again with
/// a savepoint per message, so only the failing message's work is undone; it gets a retry row
/// (or, after retry.max_retries, a failed row). Malformed input, an unknown name or a bad id
/// get a failed row holding the raw body and headers. Every outcome is committed before
/// processBatch() returns, so the caller may ack the whole batch. A lost connection, deadlock
/// or lock timeout throws: nothing was committed, the caller nacks with requeue and backs off.
///
/// Not thread-safe: one per worker thread. The plugin set is passed per batch (a snapshot).
class MessageProcessor {
public:
    MessageProcessor(Database& database, const Settings& settings, Metrics& metrics,
                     std::string consumer, std::function<void()> onOutboxWrite = {});

    std::vector<ProcessResult> processBatch(const PluginSet& plugins,
                                            const std::vector<InboxItem>& items);

    /// One message (the retry worker's unit).
    ProcessResult process(const PluginSet& plugins, const WireMessage& wire, int attempt,
                          std::int64_t retryRowId = 0);

    const std::string& consumer() const noexcept { return _consumer; }

private:
    struct Prepared;
    class HandlerFailedInFastPath;

    std::vector<Prepared> prepare(const PluginSet& plugins, const std::vector<InboxItem>& items);
    void runBatch(Poco::Data::Session& session, std::vector<Prepared>& batch, bool savepoints);
    void runHandler(Poco::Data::Session& session, Prepared& item);
    void recordFailure(Poco::Data::Session& session, Prepared& item, const std::string& errorClass,
                       const std::string& error, bool retryable);
    void markKnownDuplicates(Poco::Data::Session& session, std::vector<Prepared>& batch);
    bool insertDedupRows(Poco::Data::Session& session, std::vector<Prepared*>& fresh);

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
