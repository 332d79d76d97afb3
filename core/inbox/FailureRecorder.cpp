#include "core/inbox/FailureRecorder.h"

#include "core/failed/StoredEnvelope.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"

namespace msgbus::core {

FailureRecorder::FailureRecorder(Dialect dialect, const std::string& failedTable,
                                 std::string source, const RetrySettings& retry)
    : _failed(dialect, failedTable), _source(std::move(source)), _policy(retry) {}

void FailureRecorder::record(Poco::Data::Session& session, PreparedMessage& p,
                             const Failure& failure) {
    const std::int64_t now = nowMillis();
    const auto decision = _policy.decide(failure.retryable, p.item->attempt, now);
    p.result = decision.retry ? ProcessResult::Retry : ProcessResult::Failed;
    p.error = failure.errorClass + ": " + failure.error;

    if (p.item->retryRowId != 0) {
        // Gone meanwhile (an operator removed it): there is nothing to move on.
        if (auto row = _failed.find(session, p.item->retryRowId)) {
            moveOn(*row, failure, p.item->attempt, decision, now);
            _failed.update(session, *row);
        }
        return;
    }
    FailedRecord row = newRow(p, _source, failure, decision, now);
    // insert() may turn a retry row into a failed one (a body it had to cut): what it stored
    // is the outcome.
    _failed.insert(session, row);
    if (row.queueName == "failed") {
        p.result = ProcessResult::Failed;
        p.error = failure.errorClass + ": " + row.errorMessage;
    }
}

FailedRecord FailureRecorder::newRow(const PreparedMessage& p, const std::string& source,
                                     const Failure& failure, const RetryPolicy::Decision& decision,
                                     std::int64_t nowMs) {
    FailedRecord row;
    row.queueName = decision.retry ? "retry" : "failed";
    row.source = source;
    row.messageId = p.id();
    row.messageName = p.name();
    row.body = p.item->wire->body;
    row.errorClass = failure.errorClass;
    row.errorMessage = failure.error;
    try {
        row.envelopeJson = envelopeToJson(*p.item->wire);
    } catch (const std::exception& e) {
        // Headers the failed-row JSON cannot hold (a value outside its kind's range): the row
        // is kept without them, and a retry could not re-create the message.
        row.envelopeJson = "{}";
        row.errorMessage += " [headers not stored: " + errorText(e) + "]";
        row.queueName = "failed";
    }
    row.attempts = p.item->attempt;
    row.createdAt = nowMs;
    row.availableAt = decision.dueAt;
    if (row.queueName == "failed")
        row.failedAt = nowMs;
    return row;
}

void FailureRecorder::moveOn(FailedRecord& row, const Failure& failure, int attempt,
                             const RetryPolicy::Decision& decision, std::int64_t nowMs) {
    row.queueName = decision.retry ? "retry" : "failed";
    row.errorClass = failure.errorClass;
    row.errorMessage = failure.error;
    row.attempts = attempt;
    row.availableAt = decision.dueAt;
    if (!decision.retry)
        row.failedAt = nowMs;
}

void FailureRecorder::removeSettledRetryRows(Poco::Data::Session& session,
                                             std::span<const PreparedMessage> batch) {
    for (const auto& p : batch)
        if (p.item->retryRowId != 0 &&
            (p.result == ProcessResult::Handled || p.result == ProcessResult::Duplicate))
            _failed.remove(session, p.item->retryRowId);
}

} // namespace msgbus::core
