#pragma once

#include "core/config/Settings.h"
#include "core/db/Dialect.h"
#include "core/failed/FailedStore.h"
#include "core/inbox/Failure.h"
#include "core/inbox/PreparedMessage.h"
#include "core/inbox/RetryPolicy.h"

#include <Poco/Data/Session.h>

#include <cstdint>
#include <span>
#include <string>

namespace msgbus::core {

/// Writes what became of a message that failed: a retry row (due again after the backoff) or
/// a failed row, as RetryPolicy decides, inside the caller's transaction so it commits with
/// the rest of the batch. A message that came from the retry table moves its own row on
/// instead of getting a second one.
///
/// A failed row keeps the raw body and the headers (StoredEnvelope), so an operator can replay
/// exactly what arrived; headers that cannot be stored make it failed, not retry, since a
/// retry could not re-create the message.
///
/// Not thread-safe: one per worker thread.
class FailureRecorder {
public:
    /// source: the rows' source column ("amqp:<consumer>").
    FailureRecorder(Dialect dialect, const std::string& failedTable, std::string source,
                    const RetrySettings& retry);

    /// Records p's failure and sets p.result (Retry or Failed) and p.error.
    void record(Poco::Data::Session& session, PreparedMessage& p, const Failure& failure);

    /// Removes the retry rows of the messages of batch that are now done (handled, or found to
    /// be duplicates).
    void removeSettledRetryRows(Poco::Data::Session& session,
                                std::span<const PreparedMessage> batch);

    /// The new row for p's failure (p came from the broker, not from the retry table).
    static FailedRecord newRow(const PreparedMessage& p, const std::string& source,
                               const Failure& failure, const RetryPolicy::Decision& decision,
                               std::int64_t nowMs);

    /// Moves p's existing retry row on after the failure of its attempt.
    static void moveOn(FailedRecord& row, const Failure& failure, int attempt,
                       const RetryPolicy::Decision& decision, std::int64_t nowMs);

    const RetryPolicy& policy() const noexcept { return _policy; }

private:
    FailedStore _failed;
    std::string _source;
    RetryPolicy _policy;
};

} // namespace msgbus::core
