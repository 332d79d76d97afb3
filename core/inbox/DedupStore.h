#pragma once

#include "core/db/Dialect.h"

#include <msgbus/Id.h>

#include <Poco/Data/Session.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace msgbus::core {

/// The deduplication table: one row per (message_id, consumer) that was processed. Every
/// statement on it is here; each runs on the caller's session, inside the caller's transaction
/// when it has one. Not thread-safe (the session is not).
///
/// The batch statements inline their values instead of binding them, so that one statement
/// serves a whole batch: ids are written as hex literals of their bytes, and names need no
/// escaping once validated (message names: isValidMessageName; consumer names, by the
/// configuration: [A-Za-z0-9_-]). The caller passes only validated names.
class DedupStore {
public:
    /// partitioned: the table is partitioned by day (dedup.partitioning = daily), its key holds
    /// processed_at, and an insert also looks for the row in the other days (heldElsewhere).
    DedupStore(Dialect dialect, std::string table, bool partitioned = false);

    /// A row to insert: the message's id and name.
    struct Entry {
        Id id;
        std::string messageName;
    };

    /// Inserts the row unless it exists, inside the caller's transaction. Returns true when it
    /// was inserted (first delivery), false for a duplicate. Insert-or-ignore without INSERT
    /// IGNORE, which would also hide truncation and NOT NULL errors.
    bool tryInsert(Poco::Data::Session& session, const Id& id, const std::string& consumer,
                   const std::string& messageName, std::int64_t processedAt);

    /// tryInsert() for many rows with one statement; returns how many were inserted (fewer than
    /// entries: some existed, committed by another worker since the caller looked). Partitioned,
    /// fewer also when some had a row on another day; the rows this call inserted stay in the
    /// caller's transaction, which the caller rolls back (to a savepoint) on a short count.
    /// beginsTransaction (MariaDB): the insert is the first statement of a transaction the
    /// caller made with Transaction::BeginsWithNextQuery, and begins it.
    std::size_t tryInsertAll(Poco::Data::Session& session, const std::string& consumer,
                             const std::vector<Entry>& entries, std::int64_t processedAt,
                             bool beginsTransaction = false);

    /// Which of ids consumer has a row for (one SELECT, whatever their number): the usual
    /// redelivery case.
    std::set<Id> findProcessed(Poco::Data::Session& session, const std::string& consumer,
                               const std::vector<Id>& ids);

    /// An SQL condition (both dialects) that holds while the row of (id, consumer) exists, as
    /// the transaction it runs in sees it: a row that transaction inserted reads as gone once
    /// the server rolled it back. For Transaction::commitIf().
    std::string existsCondition(const Id& id, const std::string& consumer) const;

    /// Deletes the row of (id, consumer), on every day when partitioned: a parked message that
    /// failed when it was released was not processed after all, and its retry must run it.
    void remove(Poco::Data::Session& session, const Id& id, const std::string& consumer);

    // Alike on purpose: each store purges its own table (its statement; purgeBatch runs it).
    /// Deletes up to batchSize rows older than cutoff; returns how many went.
    std::size_t removeOlderThan(Poco::Data::Session& session, std::int64_t cutoffMs, int batchSize);

    /// processed_at of the oldest row (its index makes this one lookup); nothing when empty.
    std::optional<std::int64_t> oldestProcessedAt(Poco::Data::Session& session);

    const std::string& table() const noexcept { return _table; }

private:
    /// Runs an INSERT of deduplication rows; returns how many it wrote.
    std::size_t insertedBy(Poco::Data::Session& session, const std::string& sql) const;
    /// Partitioned: how many of ids already have a row of consumer's with another processed_at
    /// than this insert's (another day, or earlier today). A locking read, made after the
    /// insert: of two transactions inserting the same message at once on different days, the
    /// later reader waits for the other's row and sees it (or both wait on each other and the
    /// server rolls one back as a deadlock, which the inbox runs again), so one of them always
    /// finds the other, also in READ COMMITTED where a plain read could miss it.
    std::size_t heldElsewhere(Poco::Data::Session& session, const std::string& consumer,
                              const std::string& idList, std::int64_t processedAt);

    Dialect _dialect;
    std::string _table;
    bool _partitioned;
    std::string _insertSql;
};

} // namespace msgbus::core
