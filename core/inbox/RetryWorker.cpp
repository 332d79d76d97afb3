#include "core/inbox/RetryWorker.h"

#include "core/failed/StoredEnvelope.h"
#include "core/util/Backoff.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"

#include <msgbus/Error.h>

namespace msgbus::core {

RetryWorker::RetryWorker(Database& database, PluginRegistry& plugins,
                         const RetryWorkerSettings& settings, Metrics& metrics,
                         std::function<void()> onOutboxWrite)
    : _database(database), _plugins(plugins),
      _failed(database.dialect(), settings.pipeline.failedTable), _policy(settings.pipeline.retry),
      _log(Poco::Logger::get("msgbus.retry")) {
    for (const auto& consumer : settings.consumers)
        _processors.emplace("amqp:" + consumer,
                            std::make_unique<MessageProcessor>(database, settings.pipeline, metrics,
                                                               consumer, onOutboxWrite));
    for (const auto& [source, processor] : _processors)
        _sources.push_back(source);
}

int RetryWorker::retryDue() {
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
        auto it = _processors.find(row.source);
        if (it != _processors.end() && retryRow(*it->second, row))
            ++attempted;
    }
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
                           nowMillis() + hold.count()))
            return false;
    }
    ProcessResult result = ProcessResult::Requeue;
    try {
        result = processor.process(*_pluginsInUse, wire, attempt, row.id);
    } catch (...) {
        giveBack(row.id, attempt);
        throw;
    }
    if (isGivenBack(result)) {
        // Nothing ran to the end: the attempt is not used up. The row is due again, but
        // running it again at once would spin: back off instead.
        giveBack(row.id, attempt);
        throw Error("retry row " + std::to_string(row.id) + " could not be settled; backing off");
    }
    return true;
}

void RetryWorker::giveBack(std::int64_t rowId, int attempt) noexcept {
    try {
        auto session = _database.session();
        _failed.unlease(*session, rowId, attempt);
    } catch (const std::exception& e) {
        // The database is away: the lease runs out and the row comes back with this attempt
        // counted, which is all that is lost.
        _log.warning("retry row %s: could not give its lease back: %s", std::to_string(rowId),
                     errorText(e));
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
    Backoff backoff = Backoff::forOutage();
    int failures = 0;
    while (!stop.stopRequested()) {
        try {
            int n = retryDue();
            _pluginsInUse.reset();
            failures = 0;
            if (n == 0)
                stop.sleepFor(std::chrono::milliseconds(200));
        } catch (const std::exception& e) {
            ++failures;
            auto delay = backoff.delay(failures);
            _log.warning("retry worker: %s (retrying in %sms)", errorText(e),
                         std::to_string(delay.count()));
            _pluginsInUse.reset();
            stop.sleepFor(delay);
        }
    }
}

} // namespace msgbus::core
