#pragma once

#include "core/config/WorkerSettings.h"
#include "core/db/Database.h"
#include "core/inbox/DedupStore.h"
#include "core/inbox/FailureRecorder.h"
#include "core/inbox/HandlerRunner.h"
#include "core/inbox/KeyParking.h"
#include "core/inbox/MessageDecoder.h"
#include "core/inbox/SequenceStore.h"
#include "core/metrics/Metrics.h"
#include "core/plugins/PluginSet.h"
#include "core/util/StopToken.h"

#include <Poco/Logger.h>

#include <functional>
#include <string>
#include <vector>

namespace msgbus::core {

/// Runs the parked messages of one ordered consumer whose key's head was resolved (its retry
/// succeeded, or an operator skipped or removed it), in arrival order, before any newer message
/// of the key runs (new ones park behind them while the sequence is open).
///
/// A few parked messages run per transaction, each under a savepoint: its handler (the dedup
/// row exists since it was parked, so none is written) and the removal of its parked row
/// commit together. A parked message that fails becomes the key's new head (its retry or
/// failed row) and the rest stay parked. With no parked message left, the sequence is deleted
/// under its row lock (see SequenceStore for the lock order that keeps a concurrent inbox
/// batch from running a message of the key before the release committed). A crash at any
/// step leaves a resolved sequence that the next cycle picks up: what committed is not run
/// again, what did not runs.
///
/// Called from the retry worker's loop, on its thread. Not thread-safe.
class SequenceReleaser {
public:
    SequenceReleaser(Database& database, const PipelineSettings& settings, Metrics& metrics,
                     std::string consumer, std::function<void()> onOutboxWrite = {});

    /// Releases the consumer's resolved sequences, until stop is requested (checked between
    /// transactions); returns how many parked messages it settled. A key whose release fails
    /// is logged and tried again next cycle; the other keys go on. Throws only when the
    /// database is gone (nothing of the transaction in hand is committed).
    int releaseDue(const PluginSet& plugins, const StopToken& stop);

    const std::string& consumer() const noexcept { return _consumer; }

private:
    /// One transaction of key's release; false when the key is done (closed, or a new head).
    bool releaseSome(const PluginSet& plugins, const std::string& key, int& settled);
    /// Runs one parked message under a savepoint; false when it became the key's new head.
    bool runParked(Poco::Data::Session& session, const PluginSet& plugins,
                   const ParkedMessage& parked);
    /// Records the failure of parked, whose handler lost the connection under its statement,
    /// on a fresh session: it becomes its key's head.
    void settleLost(const PluginSet& plugins, const ParkedMessage& parked,
                    const std::string& error);
    /// Records p's failure; true when it became the key's head.
    bool fail(Poco::Data::Session& session, PreparedMessage& p, const Failure& failure);

    Database& _database;
    Metrics& _metrics;
    std::string _consumer;
    SequenceStore _store;
    DedupStore _dedup;
    MessageDecoder _decoder;
    FailureRecorder _recorder;
    HandlerRunner _runner;
    KeyParking _parking;
    std::function<void()> _onOutboxWrite;
    bool _published = false;
    Poco::Logger& _log;
};

} // namespace msgbus::core
