#pragma once

#include "core/db/Dialect.h"
#include "core/failed/FailedStore.h"
#include "core/failed/GuardedChange.h"

#include <Poco/Data/Session.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace msgbus::core {

/// Where a retried row goes, from the configuration.
struct RetryDestination {
    std::string outboxTable;  ///< outbox.table: outbox rows go back there
    std::size_t maxBodyBytes; ///< outbox.max_body_bytes
    int maxAttempts;          ///< retry.max_retries: an inbox row gets one more attempt
};

/// One row of `failed:retry` (and the console's retry), in its own transaction: an outbox row
/// goes back into the outbox with its id (the relay publishes it again), an inbox row is due now
/// for the retry worker of a host running its consumer (or redirect's consumer), with one more
/// attempt. Left as it was when change refuses it (GuardedChange: a cut body, a live lease, a
/// row older than createdSince). Throws when the database fails or an outbox row's stored
/// message cannot be rebuilt (nothing is changed then).
RowRefusal retryFailedRow(Poco::Data::Session& session, Dialect dialect,
                          const RetryDestination& destination, GuardedChange& change,
                          const FailedRecord& row, std::optional<std::int64_t> createdSince,
                          const std::optional<Redirect>& redirect = std::nullopt);

} // namespace msgbus::core
