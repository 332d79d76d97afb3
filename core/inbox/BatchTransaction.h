#pragma once

#include "core/db/Dialect.h"
#include "core/db/Transaction.h"
#include "core/inbox/DedupStore.h"
#include "core/inbox/FailureRecorder.h"
#include "core/inbox/HandlerCalls.h"
#include "core/inbox/HandlerRunner.h"
#include "core/inbox/InboxItem.h"
#include "core/inbox/KeyParking.h"
#include "core/inbox/PreparedMessage.h"
#include "core/inbox/RedeliveryLimit.h"

#include <Poco/Data/Session.h>

#include <exception>
#include <optional>
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
/// The handlers run as HandlerCalls plans them: a batch handler's messages together in one
/// call. Two ways to run:
/// - the fast path (no savepoints): the dedup rows by one multi-row insert-or-ignore, then the
///   handler calls, then what they all published in one multi-row write. Any handler failure
///   (or a failure of that write) throws HandlerFailedInFastPath: the transaction is rolled
///   back whole and the caller runs the batch again with savepoints.
/// - with savepoints: one per call, so that a handler's failure undoes only its own work and
///   the message gets a retry or failed row. A batch call that fails is rolled back to its
///   savepoint and each of its messages runs again alone under a savepoint of its own, so that
///   only the guilty one fails. Rolling back to the savepoint is what tells a handler's failure
///   from the transaction's: after a deadlock or a lost connection the savepoint is gone too,
///   and TransactionLost is thrown; BatchAborted, naming the message, when its handler's own
///   statement lost the connection; BatchCallLost when a call's with several messages did.
///
/// A batch call with several messages that fails marks them (PreparedMessage::runsAlone): a
/// later run of the batch hands each of them over alone. So does a lost connection under the
/// fast path's one write of what the handlers published, for the messages that published; in a
/// batch that holds a message marked so, every call writes its own publishes.
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

    /// The connection was lost under a batch handler's call with several messages (ids), or
    /// under the write of what the handlers of a batch published (ids: those that published):
    /// none of them is to blame yet (see LoneMessages). Nothing was committed. error starts
    /// with what lost it ("batch handler <name>: …").
    class BatchCallLost : public std::exception {
    public:
        BatchCallLost(std::string error_, std::vector<Id> ids_)
            : error(std::move(error_)), ids(std::move(ids_)) {}
        const char* what() const noexcept override { return error.c_str(); }
        std::string error;
        std::vector<Id> ids;
    };

    /// Borrows dedup, recorder and runner, which must outlive it.
    BatchTransaction(Dialect dialect, std::string consumer, RedeliveryLimit redeliveryLimit,
                     DedupStore& dedup, FailureRecorder& recorder, const HandlerRunner& runner,
                     KeyParking& parking);

    /// Runs batch in a transaction of its own on session and commits it; on any exception
    /// nothing of it is committed. Sets each message's outcome.
    void run(Poco::Data::Session& session, std::span<PreparedMessage> batch, bool savepoints);

private:
    /// Records the messages past the redelivery limit as failed and parks the later messages
    /// of their keys; returns the rest, in order.
    std::vector<PreparedMessage*> withinRedeliveryLimit(Poco::Data::Session& session,
                                                        std::vector<PreparedMessage*> fresh);
    /// Resets the outcomes, records what cannot run; returns the messages whose handlers run.
    std::vector<PreparedMessage*> screen(Poco::Data::Session& session,
                                         std::span<PreparedMessage> batch, bool savepoints);
    /// Whether the batch looks its ids up in the deduplication table before running.
    bool looksUpDuplicates(std::span<const PreparedMessage> batch, bool savepoints) const;
    void markKnownDuplicates(Poco::Data::Session& session, std::span<PreparedMessage> batch);
    /// Whether the batch's first statement is its dedup insert, which then begins the
    /// transaction (MariaDB).
    bool beginsWithDedupInsert(std::span<const PreparedMessage> batch, bool savepoints) const;
    /// beginsWithInsert: the dedup insert begins the transaction (beginsWithDedupInsert()).
    /// Returns the first message whose dedup row it wrote (see commit()).
    std::optional<Id> runFast(Poco::Data::Session& session, std::span<PreparedMessage*> fresh,
                              bool beginsWithInsert);
    /// Runs call in the fast path, adding what its handler published to deferTo (when null,
    /// the call writes it itself); throws HandlerFailedInFastPath or BatchCallLost.
    void runCallFast(Poco::Data::Session& session, const HandlerCall& call,
                     std::vector<Message>* deferTo);
    /// Writes what the handlers of ran published (published); throws as runCallFast().
    void writePublished(Poco::Data::Session& session, std::span<PreparedMessage*> ran,
                        std::vector<Message>& published);
    /// Returns the first handled message, whose dedup row it wrote first (see commit()).
    std::optional<Id> runWithSavepoints(Poco::Data::Session& session,
                                        std::span<PreparedMessage*> fresh);
    /// Runs one message under a savepoint; adds it to handled, or records its failure.
    void runOneWithSavepoint(Poco::Data::Session& session, PreparedMessage& p,
                             std::vector<PreparedMessage*>& handled);
    /// Runs a batch call under a savepoint; when it fails, each of its messages alone.
    void runCallWithSavepoint(Poco::Data::Session& session, const HandlerCall& call,
                              std::vector<PreparedMessage*>& handled);
    /// Commits tx, unless the dedup row of firstDedupRow is gone: then throws TransactionLost.
    void commit(Transaction& tx, const std::optional<Id>& firstDedupRow);
    /// Records p's failure, and opens its key's sequence when the consumer is ordered.
    void recordFailure(Poco::Data::Session& session, PreparedMessage& p, const Failure& failure);

    Dialect _dialect;
    std::string _consumer;
    RedeliveryLimit _redeliveryLimit;
    DedupStore& _dedup;
    FailureRecorder& _recorder;
    const HandlerRunner& _runner;
    KeyParking& _parking;
};

} // namespace msgbus::core
