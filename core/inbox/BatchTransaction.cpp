#include "core/inbox/BatchTransaction.h"

#include "core/db/DbErrors.h"
#include "core/db/MysqlLink.h"
#include "core/db/Transaction.h"
#include "core/inbox/BatchAborted.h"
#include "core/inbox/FailureClassifier.h"
#include "core/inbox/TransactionLost.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <set>

namespace msgbus::core {
namespace {

/// One name serves every savepoint: setting it again replaces it.
const std::string kSavepoint = "msgbus_item";

std::vector<DedupStore::Entry> entriesOf(std::span<PreparedMessage* const> messages) {
    std::vector<DedupStore::Entry> entries;
    entries.reserve(messages.size());
    for (const auto* p : messages)
        entries.push_back({p->message->id(), p->message->name()});
    return entries;
}

void markAlone(const HandlerCall& call) {
    for (auto* p : call.messages)
        p->runsAlone = true;
}

/// The id of the first message, whose dedup row the transaction wrote first; none when empty.
std::optional<Id> firstOf(std::span<PreparedMessage* const> messages) {
    if (messages.empty())
        return std::nullopt;
    return messages.front()->message->id();
}

std::vector<Id> idsOf(const HandlerCall& call) {
    std::vector<Id> ids;
    ids.reserve(call.messages.size());
    for (const auto* p : call.messages)
        ids.push_back(p->message->id());
    return ids;
}

} // namespace

BatchTransaction::BatchTransaction(Dialect dialect, std::string consumer,
                                   RedeliveryLimit redeliveryLimit, DedupStore& dedup,
                                   FailureRecorder& recorder, const HandlerRunner& runner,
                                   KeyParking& parking)
    : _dialect(dialect), _consumer(std::move(consumer)), _redeliveryLimit(redeliveryLimit),
      _dedup(dedup), _recorder(recorder), _runner(runner), _parking(parking) {}

void BatchTransaction::run(Poco::Data::Session& session, std::span<PreparedMessage> batch,
                           bool savepoints) {
    const bool beginsWithInsert = beginsWithDedupInsert(batch, savepoints);
    std::optional<Transaction> tx;
    if (beginsWithInsert)
        tx.emplace(session, Transaction::BeginsWithNextQuery{});
    else
        tx.emplace(session, _dialect);
    _parking.reset();
    // Parking comes before the redelivery limit: a message of an open key waits behind its
    // head, and one that hit the limit must not make itself the head in the head's place.
    std::vector<PreparedMessage*> fresh =
        withinRedeliveryLimit(session, _parking.begin(session, screen(session, batch, savepoints)));
    const std::optional<Id> firstDedupRow =
        savepoints ? runWithSavepoints(session, fresh) : runFast(session, fresh, beginsWithInsert);
    _recorder.removeSettledRetryRows(session, batch);
    _parking.resolveHeads(session, batch);
    commit(*tx, firstDedupRow);
}

std::vector<PreparedMessage*> BatchTransaction::screen(Poco::Data::Session& session,
                                                       std::span<PreparedMessage> batch,
                                                       bool savepoints) {
    std::set<Id> inBatch;
    for (auto& p : batch) {
        p.result = ProcessResult::Handled;
        p.error.clear();
        p.published = 0;
        if (p.reject) {
            recordFailure(session, p, *p.reject);
            continue;
        }
        // The same message twice in one batch (a redelivered copy): the later one is a duplicate.
        if (!inBatch.insert(p.message->id()).second)
            p.result = ProcessResult::Duplicate;
    }
    if (looksUpDuplicates(batch, savepoints))
        markKnownDuplicates(session, batch);

    std::vector<PreparedMessage*> fresh;
    for (auto& p : batch)
        if (p.handler && p.result == ProcessResult::Handled)
            fresh.push_back(&p);
    return fresh;
}

std::vector<PreparedMessage*>
BatchTransaction::withinRedeliveryLimit(Poco::Data::Session& session,
                                        std::vector<PreparedMessage*> fresh) {
    // In order: after one of a key hit the limit and became its head, the key's later
    // messages park behind it.
    std::erase_if(fresh, [&](PreparedMessage* p) {
        if (_parking.parkIfBlocked(session, *p))
            return true;
        if (!_redeliveryLimit.exceeded(*p->item))
            return false;
        recordFailure(session, *p, _redeliveryLimit.failure(*p->item));
        return true;
    });
    return fresh;
}

bool BatchTransaction::looksUpDuplicates(std::span<const PreparedMessage> batch,
                                         bool savepoints) const {
    // A batch of first deliveries skips the lookup (a round trip, two with the prepare): a
    // duplicate among them (a relay republished it) makes the dedup insert come up short,
    // and the run with savepoints, which always looks up, marks it. Parking must know a
    // duplicate before it stores it, so ordered consumers always look up.
    if (savepoints || _parking.ordered())
        return true;
    return !std::all_of(batch.begin(), batch.end(),
                        [](const PreparedMessage& p) { return p.item && p.item->firstDelivery; });
}

void BatchTransaction::markKnownDuplicates(Poco::Data::Session& session,
                                           std::span<PreparedMessage> batch) {
    std::vector<Id> ids;
    for (const auto& p : batch)
        if (p.handler && p.result == ProcessResult::Handled)
            ids.push_back(p.message->id());
    const std::set<Id> known = _dedup.findProcessed(session, _consumer, ids);
    for (auto& p : batch)
        if (p.handler && p.result == ProcessResult::Handled && known.count(p.message->id()))
            p.result = ProcessResult::Duplicate;
}

bool BatchTransaction::beginsWithDedupInsert(std::span<const PreparedMessage> batch,
                                             bool savepoints) const {
    // The transaction's begin rides on the dedup insert (one round trip less per batch) only
    // when nothing runs before that insert: no savepoints, no duplicates' lookup (ordered
    // consumers always look up), no rejected message and none past the redelivery limit to
    // record. A statement run before the begin would commit on its own, outside the batch.
    if (_dialect != Dialect::MySQL || looksUpDuplicates(batch, savepoints))
        return false;
    return std::none_of(batch.begin(), batch.end(), [this](const PreparedMessage& p) {
        return p.reject || !p.item || _redeliveryLimit.exceeded(*p.item);
    });
}

std::optional<Id> BatchTransaction::runFast(Poco::Data::Session& session,
                                            std::span<PreparedMessage*> fresh,
                                            bool beginsWithInsert) {
    // A batch with nothing to run sends no insert, so the begin goes on its own: whatever runs
    // after it must stay inside the transaction.
    if (beginsWithInsert && fresh.empty())
        MysqlLink::query(session, Transaction::kBeginSql, "BEGIN");
    // Fewer rows than ids: another worker committed one of them since our SELECT.
    if (_dedup.tryInsertAll(session, _consumer, entriesOf(fresh), nowMillis(), beginsWithInsert) !=
        fresh.size())
        throw HandlerFailedInFastPath();
    // A message back after the batch's one write lost the connection writes its publishes
    // within its call, so that a loss there names it; the others of its batch then write theirs
    // in their calls too, so that the outbox keeps the order in which the handlers published.
    const bool defer = std::none_of(fresh.begin(), fresh.end(),
                                    [](const PreparedMessage* p) { return p->runsAlone; });
    std::vector<Message> published;
    for (const auto& call : HandlerCalls::plan(fresh))
        runCallFast(session, call, defer ? &published : nullptr);
    writePublished(session, fresh, published);
    return firstOf(fresh);
}

void BatchTransaction::runCallFast(Poco::Data::Session& session, const HandlerCall& call,
                                   std::vector<Message>* deferTo) {
    PreparedMessage& first = *call.messages.front();
    const bool several = call.messages.size() > 1;
    try {
        if (call.batch)
            _runner.runBatch(session, call.messages, deferTo);
        else
            _runner.run(session, first, deferTo);
    } catch (const std::exception& e) {
        // Whatever it was, the run with savepoints tells the handler's failure from the
        // transaction's; a lost connection under a handler names the likely culprit, unless
        // several messages shared the call.
        if (several)
            markAlone(call);
        if (FailureClassifier::isDatabaseGone(e)) {
            if (several)
                throw BatchCallLost("batch handler " + first.handlerName() + ": " + errorText(e),
                                    idsOf(call));
            throw HandlerFailedInFastPath(first.item, first.handlerName() + ": " + errorText(e));
        }
        throw HandlerFailedInFastPath();
    } catch (...) {
        if (several)
            markAlone(call);
        throw HandlerFailedInFastPath();
    }
}

void BatchTransaction::writePublished(Poco::Data::Session& session, std::span<PreparedMessage*> ran,
                                      std::vector<Message>& published) {
    // Without savepoints, what all the handlers published goes to the outbox in one multi-row
    // write, not one per handler call (a prepare and an execute each). Whose publish made it
    // fail is unknown: the run with savepoints, where each call writes its own, finds out.
    try {
        _runner.writeDeferred(session, published);
    } catch (const std::exception& e) {
        if (!FailureClassifier::isDatabaseGone(e))
            throw HandlerFailedInFastPath();
        // The write took the connection with it (a statement past the server's packet limit,
        // a lock wait past db.io_timeout_ms): any publisher may be the cause, none is blamed
        // yet. They come back as lone messages, each writing its own publishes in its call, so
        // that a loss there names the one.
        std::vector<Id> ids;
        std::set<std::string> handlers;
        for (auto* p : ran)
            if (p->published > 0) {
                p->runsAlone = true;
                ids.push_back(p->message->id());
                handlers.insert(p->handlerName());
            }
        if (ids.empty())
            throw HandlerFailedInFastPath();
        std::string names;
        for (const auto& name : handlers)
            names += (names.empty() ? "" : ", ") + name;
        throw BatchCallLost("the outbox write of what " + names + " published: " + errorText(e),
                            ids);
    } catch (...) {
        throw HandlerFailedInFastPath();
    }
}

std::optional<Id> BatchTransaction::runWithSavepoints(Poco::Data::Session& session,
                                                      std::span<PreparedMessage*> fresh) {
    std::vector<PreparedMessage*> handled;
    for (auto call : HandlerCalls::plan(fresh)) {
        // A message whose key failed earlier in this transaction parks instead of running.
        std::erase_if(call.messages,
                      [&](PreparedMessage* p) { return _parking.parkIfBlocked(session, *p); });
        if (call.messages.size() > 1)
            runCallWithSavepoint(session, call, handled);
        else if (!call.messages.empty())
            runOneWithSavepoint(session, *call.messages.front(), handled);
    }
    return firstOf(handled);
}

void BatchTransaction::runOneWithSavepoint(Poco::Data::Session& session, PreparedMessage& p,
                                           std::vector<PreparedMessage*>& handled) {
    Transaction::Savepoints sp(session);
    sp.set(kSavepoint);
    if (!_dedup.tryInsert(session, p.message->id(), _consumer, p.message->name(), nowMillis())) {
        p.result = ProcessResult::Duplicate;
        return;
    }
    Failure failure;
    bool statementLost = false;
    std::exception_ptr conflict;
    try {
        _runner.run(session, p);
        handled.push_back(&p);
        return;
    } catch (const std::exception& e) {
        statementLost = FailureClassifier::isDatabaseGone(e);
        if (isLockConflict(e))
            conflict = std::current_exception();
        failure = FailureClassifier::ofHandler(p.handlerName(), std::current_exception());
    } catch (...) {
        failure = FailureClassifier::ofHandler(p.handlerName(), std::current_exception());
    }
    // Rolling back to the savepoint is what tells a handler's failure from the
    // transaction's: after a deadlock or a lost connection the savepoint is gone too.
    try {
        sp.rollbackTo(kSavepoint);
    } catch (const std::exception& e) {
        // failure.error already starts with the handler's name.
        if (statementLost && FailureClassifier::isDatabaseGone(e))
            // Its own statement took the connection with it (longer than db.io_timeout_ms,
            // or killed): the suspect, as when it happens in the fast path. Run alone, it
            // would only find the connection gone and pass for an outage.
            throw BatchAborted("the database connection was lost under handler " + failure.error,
                               p.item);
        // The handler's statement lost a deadlock, and the server rolled the whole
        // transaction back with it: nobody's fault, the batch runs again (see abortsBatch).
        if (conflict)
            std::rethrow_exception(conflict);
        throw TransactionLost("the inbox transaction failed under handler " + failure.error +
                              " (rolling back to its savepoint: " + errorText(e) + ")");
    }
    recordFailure(session, p, failure);
}

void BatchTransaction::runCallWithSavepoint(Poco::Data::Session& session, const HandlerCall& call,
                                            std::vector<PreparedMessage*>& handled) {
    Transaction::Savepoints sp(session);
    sp.set(kSavepoint);
    // Fewer rows than ids: another worker committed one of them since our SELECT. Run alone,
    // each finds out whether it is the one.
    if (_dedup.tryInsertAll(session, _consumer, entriesOf(call.messages), nowMillis()) !=
        call.messages.size()) {
        sp.rollbackTo(kSavepoint);
    } else {
        Failure failure;
        bool statementLost = false;
        std::exception_ptr conflict;
        try {
            _runner.runBatch(session, call.messages);
            handled.insert(handled.end(), call.messages.begin(), call.messages.end());
            return;
        } catch (const std::exception& e) {
            statementLost = FailureClassifier::isDatabaseGone(e);
            if (isLockConflict(e))
                conflict = std::current_exception();
            failure = FailureClassifier::ofHandler(call.messages.front()->handlerName(),
                                                   std::current_exception());
        } catch (...) {
            failure = FailureClassifier::ofHandler(call.messages.front()->handlerName(),
                                                   std::current_exception());
        }
        markAlone(call);
        try {
            sp.rollbackTo(kSavepoint);
        } catch (const std::exception& e) {
            if (statementLost && FailureClassifier::isDatabaseGone(e))
                throw BatchCallLost("batch handler " + failure.error, idsOf(call));
            if (conflict)
                std::rethrow_exception(conflict);
            throw TransactionLost("the inbox transaction failed under handler " + failure.error +
                                  " (rolling back to its savepoint: " + errorText(e) + ")");
        }
    }
    // Which message made the call fail is unknown: each runs again alone (after the key of
    // one of them failed, its later messages park).
    for (auto* p : call.messages)
        if (!_parking.parkIfBlocked(session, *p))
            runOneWithSavepoint(session, *p, handled);
}

void BatchTransaction::commit(Transaction& tx, const std::optional<Id>& firstDedupRow) {
    // A handler that catches a deadlock and carries on leaves a transaction that the server has
    // already rolled back, our dedup rows with it; committing then would keep only what ran
    // after the deadlock. The first handled message's dedup row was written while the
    // transaction was still whole (in the fast path before any handler ran; with savepoints
    // after the earlier handlers failed and were rolled back to their savepoints, which fails
    // once the transaction is gone), so it is gone whenever the transaction was rolled back
    // under the work it would commit. The COMMIT itself checks for it (on MariaDB in the same
    // round trip).
    if (!firstDedupRow) {
        tx.commit();
        return;
    }
    try {
        tx.commitIf(_dedup.existsCondition(*firstDedupRow, _consumer),
                    "msgbus: the inbox transaction was rolled back while its handlers ran",
                    "COMMIT");
    } catch (const Transaction::ConditionFailed&) {
        throw TransactionLost("the inbox transaction was rolled back while its handlers ran "
                              "(its dedup rows vanished; did a handler catch a deadlock?)");
    }
}

void BatchTransaction::recordFailure(Poco::Data::Session& session, PreparedMessage& p,
                                     const Failure& failure) {
    _recorder.record(session, p, failure);
    _parking.failed(session, p);
}

} // namespace msgbus::core
