#include "core/inbox/MessageProcessor.h"

#include "core/db/DbErrors.h"
#include "core/db/Transaction.h"
#include "core/inbox/FailureClassifier.h"
#include "core/inbox/HandlingSpan.h"
#include "core/tracing/SpanExporter.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"

#include <msgbus/Error.h>

#include <algorithm>

namespace msgbus::core {

MessageProcessor::MessageProcessor(Database& database, const PipelineSettings& settings,
                                   Metrics& metrics, std::string consumer,
                                   std::function<void()> onOutboxWrite)
    : _database(database), _metrics(metrics), _consumer(std::move(consumer)), _decoder(_consumer),
      _dedup(database.dialect(), settings.dedupTable, settings.dedupPartitioned),
      _recorder(database.dialect(), settings.failedTable, "amqp:" + _consumer, settings.retry),
      _sequences(database.dialect(), settings.dedupTable),
      _parking(_consumer, settings.isOrdered(_consumer), _sequences, _dedup),
      _runner(OutboxWriter::Options{settings.outboxTable, settings.maxBodyBytes}, _consumer,
              metrics.spans),
      _transaction(database.dialect(), _consumer, RedeliveryLimit(settings.maxRedeliveries), _dedup,
                   _recorder, _runner, _parking),
      _outcomeLog(Poco::Logger::get("msgbus.inbox"), _consumer),
      _onOutboxWrite(std::move(onOutboxWrite)), _log(Poco::Logger::get("msgbus.inbox")) {}

std::vector<ProcessResult> MessageProcessor::processBatch(const PluginSet& plugins,
                                                          std::span<const InboxItem> items) {
    std::vector<PreparedMessage> batch = _decoder.prepare(plugins, items);
    if (!_lone.empty())
        for (auto& p : batch)
            p.runsAlone = p.message && _lone.contains(p.message->id());
    {
        auto session = _database.session();
        run(*session, batch);
    }
    report(batch);

    std::vector<ProcessResult> results;
    results.reserve(batch.size());
    for (const auto& p : batch)
        results.push_back(p.result);
    return results;
}

void MessageProcessor::run(Poco::Data::Session& session, std::span<PreparedMessage> batch) {
    const InboxItem* suspect = nullptr;
    std::string suspectError;
    try {
        try {
            _transaction.run(session, batch, false);
        } catch (const BatchTransaction::HandlerFailedInFastPath& failed) {
            // Rare path: the transaction above was rolled back whole; isolate each message.
            suspect = failed.suspect;
            suspectError = failed.error;
            _transaction.run(session, batch, true);
        }
    } catch (const BatchAborted&) {
        throw;
    } catch (const BatchTransaction::BatchCallLost& lost) {
        // Its statements may still hold their locks on the server: the batch goes back, no
        // message blamed, and those messages run alone when they return.
        _lone.remember(lost.ids);
        throw BatchAborted("the database connection was lost under " + lost.error + " with " +
                               std::to_string(lost.ids.size()) +
                               " messages; they run alone when they come back",
                           nullptr);
    } catch (const std::exception& e) {
        if (FailureClassifier::abortsBatch(e)) {
            // A lost lock conflict is the transaction's, not the suspect's: the caller runs
            // the batch again.
            if (suspect && !isLockConflict(e))
                throw BatchAborted("the database connection was lost under handler " + suspectError,
                                   suspect);
            throw;
        }
        // Not an outage, so some message of the batch makes the database refuse a statement
        // of ours: run each alone, so that only that one fails.
        _log.warning("consumer %s: a batch of %z failed (%s); running its messages one by one",
                     _consumer, batch.size(), errorText(e));
        runAlone(session, batch);
    }
}

void MessageProcessor::runAlone(Poco::Data::Session& session, std::span<PreparedMessage> batch) {
    std::size_t committed = 0;
    std::string firstError;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        PreparedMessage& p = batch[i];
        Failure failure;
        try {
            _transaction.run(session, batch.subspan(i, 1), true);
            ++committed;
            continue;
        } catch (const std::exception& e) {
            if (FailureClassifier::isDatabaseGone(e)) {
                if (committed == 0)
                    throw;
                // The database went away: what was committed stays, the rest goes back.
                _log.warning("consumer %s: %s; %z messages go back to the broker", _consumer,
                             errorText(e), batch.size() - i);
                for (auto& rest : batch.subspan(i))
                    rest.result = ProcessResult::Requeue;
                return;
            }
            p.error = errorText(e);
            failure = FailureClassifier::ofAloneRun(e);
        }
        if (firstError.empty())
            firstError = p.error;
        if (recordGuilty(session, p, failure, committed == 0))
            ++committed;
    }
    // Not one message could be stored: the database refuses every write (read-only after a
    // failover, disk full), which is no message's fault. The batch goes back whole.
    if (committed == 0 && !batch.empty())
        throw Error("consumer " + _consumer + ": the database stored nothing of a batch of " +
                    std::to_string(batch.size()) + ": " + firstError);
}

bool MessageProcessor::recordGuilty(Poco::Data::Session& session, PreparedMessage& p,
                                    const Failure& failure, bool nothingCommitted) {
    try {
        Transaction tx(session, _database.dialect());
        _recorder.record(session, p, failure);
        _parking.failed(session, p);
        tx.commit();
        return true;
    } catch (const std::exception& e) {
        if (FailureClassifier::isDatabaseGone(e) && nothingCommitted)
            throw;
        _log.error("consumer %s: a message can be neither processed nor stored as failed, it "
                   "goes back to the broker: %s",
                   _consumer, errorText(e));
        p.result = ProcessResult::RequeueSuspect;
        p.error = errorText(e);
        return false;
    }
}

void MessageProcessor::report(std::span<const PreparedMessage> batch) {
    bool published = false;
    // Committed just now: one clock read for the batch.
    const std::int64_t committedAt = nowMillis();
    for (const auto& p : batch) {
        if (!_lone.empty() && p.message && !isGivenBack(p.result))
            _lone.forget(p.message->id());
        published = published || p.published > 0;
        recordSpan(p);
        count(p, committedAt);
        _outcomeLog.write(p);
    }
    if (published && _onOutboxWrite)
        _onOutboxWrite();
}

void MessageProcessor::count(const PreparedMessage& p, std::int64_t committedAt) {
    switch (p.result) {
    case ProcessResult::Handled:
        Metrics::add(_metrics.consumed);
        // Clocks of other hosts may run ahead: a negative lag counts as none.
        if (p.message && p.message->createdAt() > 0)
            _metrics.inboxLag.observe(static_cast<double>(
                std::max<std::int64_t>(0, committedAt - p.message->createdAt())));
        break;
    case ProcessResult::Duplicate:
        Metrics::add(_metrics.deduplicated);
        break;
    case ProcessResult::Retry:
        Metrics::add(_metrics.retried);
        break;
    case ProcessResult::Failed:
        Metrics::add(_metrics.failed);
        break;
    case ProcessResult::Parked:
        Metrics::add(_metrics.parked);
        break;
    case ProcessResult::Requeue:
    case ProcessResult::RequeueSuspect:
        break;
    }
}

void MessageProcessor::recordSpan(const PreparedMessage& p) {
    // Only a committed handling is a span: nothing a duplicate ran was kept, and a message
    // given back runs again.
    if (!_metrics.spans || isGivenBack(p.result) || p.result == ProcessResult::Duplicate ||
        p.result == ProcessResult::Parked)
        return;
    if (auto span = HandlingSpan::of(p, _consumer, unixNanosNow()))
        _metrics.spans->record(std::move(*span));
}

ProcessResult MessageProcessor::process(const PluginSet& plugins, const WireMessage& wire,
                                        int attempt, std::int64_t retryRowId) {
    const InboxItem item(&wire, attempt, retryRowId);
    return processBatch(plugins, std::span<const InboxItem>(&item, 1)).front();
}

} // namespace msgbus::core
