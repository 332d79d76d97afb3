#pragma once

#include "core/db/Dialect.h"

#include <msgbus/Id.h>

#include <Poco/Data/Session.h>

#include <string>

namespace msgbus::core {

/// The deduplication table: one row per (message_id, consumer) that was processed.
class DedupStore {
public:
    DedupStore(Dialect dialect, std::string table);

    /// Inserts the row unless it exists, inside the caller's transaction. Returns true when it
    /// was inserted (first delivery), false for a duplicate. Insert-or-ignore without INSERT
    /// IGNORE, which would also hide truncation and NOT NULL errors.
    bool tryInsert(Poco::Data::Session& session, const Id& id, const std::string& consumer,
                   const std::string& messageName, std::int64_t processedAt);

    /// Deletes up to batchSize rows older than cutoff; returns how many went.
    std::size_t removeOlderThan(Poco::Data::Session& session, std::int64_t cutoffMs, int batchSize);

    const std::string& table() const noexcept { return _table; }

private:
    Dialect _dialect;
    std::string _table;
    std::string _insertSql;
};

} // namespace msgbus::core
