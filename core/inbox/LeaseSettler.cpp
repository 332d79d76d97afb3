#include "core/inbox/LeaseSettler.h"

#include "core/db/DbErrors.h"
#include "core/inbox/FailureRecorder.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"

namespace msgbus::core {

LeaseSettler::LeaseSettler(Database& database, const std::string& failedTable,
                           const RetryPolicy& policy, Metrics& metrics, Poco::Logger& log)
    : _database(database), _failed(database.dialect(), failedTable), _policy(policy),
      _metrics(metrics), _log(log) {}

void LeaseSettler::giveBack(std::int64_t rowId, int attempt) noexcept {
    Write write{rowId, attempt, std::nullopt};
    try {
        make(write);
    } catch (const std::exception& e) {
        try {
            _owed.push_back(write);
            _log.warning("retry row %s: cannot give its lease back now (%s); it is given back "
                         "once the database answers",
                         std::to_string(rowId), errorText(e));
        } catch (...) {
            // Out of memory: the lease runs out and the row comes back with this attempt counted.
        }
    }
}

void LeaseSettler::countAttempt(std::int64_t rowId, int attempt, const Failure& failure) {
    Write write{rowId, attempt, failure};
    try {
        make(write);
    } catch (...) {
        _owed.push_back(write);
        throw;
    }
}

void LeaseSettler::settleOwed() {
    while (!_owed.empty()) {
        try {
            make(_owed.front());
        } catch (const std::exception& e) {
            if (isTransientDbError(e))
                throw;
            // Refused for good: the lease runs out, and the row comes back with this attempt
            // counted once.
            _log.error("retry row %s: the write it is owed was refused, its lease runs out "
                       "instead: %s",
                       std::to_string(_owed.front().rowId), errorText(e));
        }
        _owed.erase(_owed.begin());
    }
}

bool LeaseSettler::make(const Write& write) {
    auto session = _database.session();
    if (write.failure)
        return count(*session, write);
    return _failed.unlease(*session, write.rowId, write.attempt);
}

bool LeaseSettler::count(Poco::Data::Session& session, const Write& write) {
    const std::int64_t now = nowMillis();
    const auto decision = _policy.decide(write.failure->retryable, write.attempt, now);
    FailedRecord row;
    row.id = write.rowId;
    FailureRecorder::moveOn(row, *write.failure, write.attempt, decision, now);
    if (!_failed.updateIfUnchanged(session, row, "running", write.attempt)) {
        _log.information("retry row %s: attempt %s was taken over meanwhile; its failure is "
                         "not written",
                         std::to_string(write.rowId), std::to_string(write.attempt));
        return false;
    }
    Metrics::add(decision.retry ? _metrics.retried : _metrics.failed);
    _log.warning("retry row %s: attempt %s counted, %s: %s: %s", std::to_string(write.rowId),
                 std::to_string(write.attempt),
                 std::string(decision.retry ? "retried later" : "moved to failed"),
                 write.failure->errorClass, write.failure->error);
    return true;
}

} // namespace msgbus::core
