#include "core/inbox/RetryWorker.h"

#include "core/failed/StoredEnvelope.h"
#include "core/inbox/FailureClassifier.h"
#include "core/util/Backoff.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"
#include "core/util/FailureStreak.h"

#include <msgbus/Error.h>

#include <algorithm>

namespace msgbus::core {

RetryWorker::RetryWorker(Database& database, PluginRegistry& plugins,
                         const RetryWorkerSettings& settings, Metrics& metrics,
                         std::function<void()> onOutboxWrite)
    : _database(database), _plugins(plugins),
      _failed(database.dialect(), settings.pipeline.failedTable), _policy(settings.pipeline.retry),
      _log(Poco::Logger::get("msgbus.retry")),
      _settler(database, settings.pipeline.failedTable, _policy, metrics, _log),
      _leaseOwner(settings.leaseOwner), _pipeline(settings.pipeline), _metrics(metrics),
      _onOutboxWrite(onOutboxWrite) {
    for (const auto& consumer : settings.consumers)
        _processors.emplace("amqp:" + consumer,
                            std::make_unique<MessageProcessor>(database, settings.pipeline, metrics,
                                                               consumer, onOutboxWrite));
    for (const auto& [source, processor] : _processors)
        _sources.push_back(source);
    for (const auto& consumer : settings.consumers) {
        if (settings.pipeline.isOrdered(consumer))
            _releasers.push_back(std::make_unique<SequenceReleaser>(
                database, settings.pipeline, metrics, consumer, onOutboxWrite));
        else
            _unordered.push_back(consumer);
    }
}

void RetryWorker::adoptLeftoverSequences() {
    if (_unordered.empty())
        return;
    std::vector<std::string> open;
    try {
        auto session = _database.session();
        open = SequenceStore(_database.dialect(), _pipeline.dedupTable).consumers(*session);
    } catch (const std::exception&) {
        if (!_database.isReachable())
            throw;
        // No sequences table: ordered consumption was never set up here.
    }
    for (const auto& consumer : _unordered) {
        if (std::find(open.begin(), open.end(), consumer) == open.end())
            continue;
        _log.warning("consumer %s is not ordered, but keys of it are parked from when it was: "
                     "released keys still run their parked messages; a head is released only by "
                     "failed:skip, failed:remove or parked:release (failed:list shows them)",
                     consumer);
        _releasers.push_back(std::make_unique<SequenceReleaser>(_database, _pipeline, _metrics,
                                                                consumer, _onOutboxWrite));
    }
    _unordered.clear();
}

int RetryWorker::retryDue() {
    const StopToken never;
    return retryDue(never);
}

int RetryWorker::retryDue(const StopToken& stop) {
    // What the database was away for last time comes first: a lease given back before the
    // claim is claimed again with its attempts as they were.
    _settler.settleOwed();
    adoptLeftoverSequences();
    std::vector<FailedRecord> rows;
    {
        auto session = _database.session();
        rows = _failed.claimDueRetries(*session, 100, nowMillis(), _sources);
    }
    // Kept in a member: an exception thrown from plugin code below is destroyed in run()'s
    // handler, and the library that defines it must still be mapped then.
    _pluginsInUse = _plugins.current();
    int attempted = 0;
    for (const auto& row : rows) {
        // A stop waits for the row in hand, not for every row claimed: a stop that outlasted
        // the service manager's patience would end in a SIGKILL, costing the row in hand an
        // attempt. The rows left are not leased: they are simply due still.
        if (stop.stopRequested())
            break;
        auto it = _processors.find(row.source);
        if (it != _processors.end() && retryRow(*it->second, row))
            ++attempted;
    }
    for (auto& releaser : _releasers)
        if (!stop.stopRequested())
            attempted += releaser->releaseDue(*_pluginsInUse, stop);
    return attempted;
}

bool RetryWorker::retryRow(MessageProcessor& processor, const FailedRecord& row) {
    WireMessage wire;
    try {
        wire = envelopeFromJson(row.envelopeJson, row.body);
    } catch (const std::exception& e) {
        // It would stay first in line for ever: it becomes a failed row, with the reason.
        return markUnreadable(row, errorText(e));
    }
    const int attempt = row.attempts + 1;
    if (_policy.diedOnLastAttempt(row)) {
        // Its last attempt was leased and never settled: its host died while running it.
        return markFailed(row, "RedeliveryLimit", _policy.diedOnLastAttemptReason(row));
    }
    {
        const auto hold = _policy.leaseHold(attempt);
        auto session = _database.session();
        if (!_failed.lease(*session, row.id, row.queueName, row.attempts,
                           nowMillis() + hold.count(), _leaseOwner))
            return false;
    }
    runLeased(processor, row.id, wire, attempt);
    return true;
}

void RetryWorker::runLeased(MessageProcessor& processor, std::int64_t rowId,
                            const WireMessage& wire, int attempt) {
    ProcessResult result = ProcessResult::Requeue;
    try {
        result = processor.process(*_pluginsInUse, wire, attempt, rowId);
    } catch (const BatchAborted& e) {
        // The connection died under its handler. With the database gone that is an outage, no
        // message's fault: the attempt is not used up and the cycle backs off.
        if (!_database.isReachable()) {
            _settler.giveBack(rowId, attempt);
            throw;
        }
        // It answers: the handler's own statement died (killed, or past db.io_timeout_ms).
        // Given back, the row would cost a timeout every cycle and never end. It counts as that
        // handler's failure; the next rows run on fresh sessions.
        _settler.countAttempt(rowId, attempt, FailureClassifier::ofLostStatement(errorText(e)));
        return;
    } catch (...) {
        // Nothing committed and no handler to blame: the database went away. Not the
        // message's fault, so its attempt is not used up; the rows after it wait as well.
        _settler.giveBack(rowId, attempt);
        throw;
    }
    if (isGivenBack(result)) {
        // Nothing ran to the end: the attempt is not used up. The row is due again, but
        // running it again at once would spin: back off instead.
        _settler.giveBack(rowId, attempt);
        throw Error("retry row " + std::to_string(rowId) + " could not be settled; backing off");
    }
}

bool RetryWorker::markUnreadable(FailedRecord row, const std::string& error) {
    return markFailed(std::move(row), "UnreadableRetryRow",
                      "the stored headers cannot be read: " + error);
}

bool RetryWorker::markFailed(FailedRecord row, const std::string& errorClass,
                             const std::string& error) {
    const std::string claimedQueue = row.queueName;
    const int claimedAttempts = row.attempts;
    const std::int64_t now = nowMillis();
    row.queueName = "failed";
    row.errorClass = errorClass;
    row.errorMessage = error;
    row.availableAt = now;
    row.failedAt = now;
    auto session = _database.session();
    if (!_failed.updateIfUnchanged(*session, row, claimedQueue, claimedAttempts)) {
        // Another host leased it or an operator moved or removed it since it was read: it is
        // theirs now, and it was not moved by this host.
        _log.information("retry row %s changed since it was read; left as it is",
                         std::to_string(row.id));
        return false;
    }
    _log.error("retry row %s moved to failed: %s: %s", std::to_string(row.id), errorClass, error);
    return true;
}

void RetryWorker::run(StopToken& stop) {
    const Backoff backoff = Backoff::forOutage();
    // An outage of the failed table's database fails every cycle: one line when it begins,
    // one when it ends.
    FailureStreak streak(_log, "retry worker");
    while (!stop.stopRequested()) {
        try {
            int n = retryDue(stop);
            _pluginsInUse.reset();
            streak.succeeded();
            if (n == 0)
                stop.sleepFor(std::chrono::milliseconds(200));
        } catch (const std::exception& e) {
            const auto delay = backoff.delay(streak.failures() + 1);
            streak.failed(errorText(e), delay);
            _pluginsInUse.reset();
            stop.sleepFor(delay);
        }
    }
}

} // namespace msgbus::core
