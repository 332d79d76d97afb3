#pragma once

#include <Poco/Data/Session.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace msgbus::core {

/// Runs one batch of a table's purge of old rows: deleteSql is a DELETE whose two placeholders
/// are the cutoff time (ms) and the batch size, in that order; the dialect's way of limiting a
/// DELETE is the caller's. Returns how many rows went. Small batches, each its own statement,
/// keep the writers of the table from waiting on one long DELETE.
std::size_t purgeBatch(Poco::Data::Session& session, const std::string& deleteSql,
                       std::int64_t cutoffMs, int batchSize);

} // namespace msgbus::core
