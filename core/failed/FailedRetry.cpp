#include "core/failed/FailedRetry.h"

#include "core/db/Transaction.h"
#include "core/failed/OutboxEnvelope.h"

#include <msgbus/OutboxWriter.h>

namespace msgbus::core {

RowRefusal retryFailedRow(Poco::Data::Session& session, Dialect dialect,
                          const RetryDestination& destination, GuardedChange& change,
                          const FailedRecord& row, std::optional<std::int64_t> createdSince,
                          const std::optional<Redirect>& redirect) {
    Transaction tx(session, dialect);
    RowRefusal refusal;
    if (row.source == OutboxEnvelope::source) {
        refusal = change.takeForRetry(session, row.id, createdSince);
        if (refusal.reason == Refusal::None) {
            // Back into the outbox with its original id, in the transaction that took it out.
            Message message = OutboxEnvelope::decode(row);
            OutboxWriter(session, {destination.outboxTable, destination.maxBodyBytes})
                .write(message);
        }
    } else {
        refusal = change.retryNow(session, row.id, destination.maxAttempts, createdSince, redirect);
    }
    if (refusal.reason == Refusal::None)
        tx.commit();
    return refusal;
}

} // namespace msgbus::core
