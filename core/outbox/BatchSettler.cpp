#include "core/outbox/BatchSettler.h"

#include "core/db/DbErrors.h"
#include "core/failed/OutboxEnvelope.h"
#include "core/outbox/OutboxRowEncoding.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"
#include "core/util/Utf8Text.h"

#include <set>

namespace msgbus::core {

FailedRecord failedRecordOf(const OutboxRow& row, const RowFailure& failure, int attempts,
                            std::int64_t now) {
    FailedRecord record;
    record.queueName = "failed";
    record.source = OutboxEnvelope::source;
    record.messageName = row.name;
    if (row.readError) {
        // No id to put back into the outbox with: the operator sees the row's content and the
        // reason.
        record.envelopeJson = OutboxEnvelope::unreadable();
        record.errorClass = "UnreadableOutboxRow";
    } else {
        const Message message = [&] {
            try {
                return messageOf(row);
            } catch (const std::exception&) {
                // Kept without headers: the row is failing for a reason already.
                return messageOf(row, false);
            }
        }();
        record.messageId = row.id;
        record.envelopeJson = OutboxEnvelope::encode(message);
        record.errorClass = "OutboxPublishFailed";
    }
    record.body = row.body;
    record.errorMessage = failure.error;
    record.attempts = attempts;
    record.createdAt = row.createdAt;
    record.availableAt = now;
    record.failedAt = now;
    return record;
}

BatchSettler::BatchSettler(Dialect dialect, const OutboxSettings& outbox,
                           const std::string& failedTable, OutboxStore& store)
    : _dialect(dialect), _outbox(outbox), _store(store), _failed(dialect, failedTable),
      _rowBackoff(outbox.retryDelay, 2.0, outbox.maxRetryDelay),
      _log(Poco::Logger::get("msgbus.relay")) {}

void BatchSettler::lookForDeliveredTable(Poco::Data::Session& session) {
    if (!_outbox.keepDelivered || _delivered)
        return;
    const auto now = std::chrono::steady_clock::now();
    if (now < _lookForDeliveredAt)
        return;
    DeliveredStore store(_dialect, _outbox.table);
    if (store.exists(session)) {
        _delivered.emplace(std::move(store));
        return;
    }
    _lookForDeliveredAt = now + std::chrono::minutes(1);
    _log.error("outbox.keep_delivered = true, but the table %s does not exist (`msgbus setup` "
               "creates it): confirmed rows are deleted without a delivery record until it does",
               store.table());
}

void BatchSettler::settleAndCommit(Poco::Data::Session& session, Transaction& tx,
                                   const std::vector<OutboxRow>& rows,
                                   const std::vector<DeliveredRoute>& routes,
                                   const std::vector<std::int64_t>& confirmed,
                                   const std::vector<RowFailure>& failures) {
    _settled = {};
    recordDelivered(session, routes, confirmed);
    std::vector<std::int64_t> toDelete = confirmed;
    const std::int64_t now = nowMillis();
    for (const auto& failure : failures)
        settleFailure(session, rows[failure.index], failure, now, toDelete);
    if (toDelete.empty())
        tx.commit();
    else
        tx.commitAfter(_store.removeSql(toDelete), "deleting confirmed outbox rows and committing");
}

void BatchSettler::settleFailure(Poco::Data::Session& session, const OutboxRow& row,
                                 const RowFailure& failure, std::int64_t now,
                                 std::vector<std::int64_t>& toDelete) {
    const int attempts = row.attempts + 1;
    if (failure.permanent || attempts >= _outbox.maxAttempts) {
        FailedRecord record = failedRecordOf(row, failure, attempts, now);
        _failed.insert(session, record);
        toDelete.push_back(row.seq);
        ++_settled.failed;
        _settled.errors.push_back(
            "outbox message " +
            (row.readError ? "seq " + std::to_string(row.seq) : row.id.toString()) + " (" +
            row.name + ") moved to the failed table after " + std::to_string(attempts) +
            " attempts: " + failure.error);
        return;
    }
    auto delay = _rowBackoff.delay(attempts);
    _store.recordAttempt(session, row.seq, attempts, now + delay.count(), failure.error);
    _settled.warnings.push_back("outbox message " + row.id.toString() + " (" + row.name +
                                ") attempt " + std::to_string(attempts) + " failed, next in " +
                                std::to_string(delay.count()) + "ms: " + failure.error);
}

void BatchSettler::recordDelivered(Poco::Data::Session& session,
                                   const std::vector<DeliveredRoute>& routes,
                                   const std::vector<std::int64_t>& confirmed) {
    if (!_delivered || confirmed.empty())
        return;
    const std::set<std::int64_t> done(confirmed.begin(), confirmed.end());
    std::vector<DeliveredRoute> delivered;
    delivered.reserve(confirmed.size());
    for (const auto& route : routes)
        if (route.seq != 0 && done.count(route.seq))
            delivered.push_back(route);
    try {
        _delivered->record(session, delivered, nowMillis());
    } catch (const std::exception& e) {
        // The broker has these messages: an audit record that cannot be written must not keep
        // them in the outbox (they would go out again and again). A failed statement leaves the
        // transaction as it was, so the settle goes on without the record; only a lost
        // connection or a lock conflict fails it, to be settled again as always.
        if (isTransientDbError(e))
            throw;
        if (!_delivered->exists(session)) {
            _log.error("outbox.keep_delivered: the table %s is gone (`msgbus setup` creates it): "
                       "confirmed rows are deleted without a delivery record until it is back",
                       _delivered->table());
            _delivered.reset();
            _lookForDeliveredAt = std::chrono::steady_clock::now() + std::chrono::minutes(1);
            return;
        }
        _log.error("outbox.keep_delivered: %z confirmed rows are deleted without a delivery "
                   "record, which %s refused: %s",
                   delivered.size(), _delivered->table(), storableText(errorText(e), 2000));
    }
}

std::uint64_t BatchSettler::report() {
    for (const auto& line : _settled.errors)
        _log.error(line);
    for (const auto& line : _settled.warnings)
        _log.warning(line);
    const std::uint64_t failed = _settled.failed;
    _settled = {};
    return failed;
}

} // namespace msgbus::core
