#pragma once

#include "core/db/Dialect.h"
#include "core/inbox/DedupStore.h"
#include "core/inbox/FailureRecorder.h"
#include "core/inbox/HandlerRunner.h"
#include "core/inbox/InboxItem.h"
#include "core/inbox/PreparedMessage.h"
#include "core/inbox/RedeliveryLimit.h"

#include <Poco/Data/Session.h>

#include <exception>
#include <span>
#include <string>
#include <vector>

namespace msgbus::core {

/// One transaction's worth of a batch: known duplicates found by one SELECT, messages past
/// inbox.max_redeliveries and those that cannot reach a handler recorded as failed, the dedup
/// rows of the rest, their handlers, the failure rows of handlers that threw, and the removal
/// of the retry rows of messages now done; then COMMIT. Every outcome of the batch commits
/// together, or nothing does.
///
/// Two ways to run:
/// - the fast path (no savepoints): the dedup rows by one multi-row insert-or-ignore, then the
///   handlers. Any handler failure throws HandlerFailedInFastPath: the transaction is rolled
///   back whole and the caller runs the batch again with savepoints.
/// - with savepoints: one per message, so that a handler's failure undoes only its own work and
///   the message gets a retry or failed row. Rolling back to the savepoint is what tells a
///   handler's failure from the transaction's: after a deadlock or a lost connection the
///   savepoint is gone too, and TransactionLost is thrown; BatchAborted, naming the message, when
///   its handler's own statement lost the connection.
///
/// Not thread-safe: one per worker thread.
class BatchTransaction {
public:
    /// A handler threw while the batch ran without savepoints: run it again with them.
    class HandlerFailedInFastPath : public std::exception {
    public:
        HandlerFailedInFastPath() = default;
        HandlerFailedInFastPath(const InboxItem* suspect_, std::string error_)
            : suspect(suspect_), error(std::move(error_)) {}
        const char* what() const noexcept override { return "a handler failed in the fast path"; }

        /// The message whose handler failed with a lost connection, if one did, and that error.
        const InboxItem* suspect = nullptr;
        std::string error;
    };

    /// Borrows dedup, recorder and runner, which must outlive it.
    BatchTransaction(Dialect dialect, std::string consumer, RedeliveryLimit redeliveryLimit,
                     DedupStore& dedup, FailureRecorder& recorder, const HandlerRunner& runner);

    /// Runs batch in a transaction of its own on session and commits it; on any exception
    /// nothing of it is committed. Sets each message's outcome.
    void run(Poco::Data::Session& session, std::span<PreparedMessage> batch, bool savepoints);

private:
    /// Resets the outcomes, records what cannot run; returns the messages whose handlers run.
    std::vector<PreparedMessage*> screen(Poco::Data::Session& session,
                                         std::span<PreparedMessage> batch);
    void markKnownDuplicates(Poco::Data::Session& session, std::span<PreparedMessage> batch);
    void runFast(Poco::Data::Session& session, std::span<PreparedMessage*> fresh);
    void runWithSavepoints(Poco::Data::Session& session, std::span<PreparedMessage*> fresh);
    void requireDedupRows(Poco::Data::Session& session, std::span<PreparedMessage*> handled);

    Dialect _dialect;
    std::string _consumer;
    RedeliveryLimit _redeliveryLimit;
    DedupStore& _dedup;
    FailureRecorder& _recorder;
    const HandlerRunner& _runner;
};

} // namespace msgbus::core
