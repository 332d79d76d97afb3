#pragma once

#include "core/db/Dialect.h"
#include "core/db/LargeColumnReader.h"
#include "core/db/MysqlLink.h"
#include "core/db/RowFilter.h"

#include <msgbus/Id.h>
#include <msgbus/OutboxWriter.h>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace msgbus::core {

/// One outbox row as the relay sees it.
struct OutboxRow {
    std::int64_t seq = 0;
    Id id = Id::generate();
    std::string name;
    std::optional<std::string> partitionKey;
    std::string headersJson;
    std::string body;
    std::int64_t createdAt = 0;
    std::int64_t availableAt = 0;
    int attempts = 0;
    bool truncated = false; ///< read through a bounded window; completed before it is returned
    /// Why the row cannot be relayed as it stands (its message_id is no valid id: NIL, MAX, a
    /// text id in a BLOB column). The relay moves such a row to the failed table at once; the
    /// rows around it go on.
    std::optional<std::string> readError;
};

/// A row still to be sent, as `msgbus outbox:list` shows it (without headers and body).
struct PendingRecord : ListedMessage {
    std::int64_t seq = 0;
    std::int64_t availableAt = 0;
    int attempts = 0;
    std::optional<std::string> lastError;
};

/// What OutboxStore::cancelScheduled() found.
struct CancelOutcome {
    bool cancelled = false;
    /// When not cancelled: the row as it stands (nothing when there is no row of that id).
    std::optional<std::int64_t> availableAt;
    int attempts = 0;
};

/// SQL on the outbox table. Stateless apart from the table name; every call runs
/// on the caller's session and inside the caller's transaction.
class OutboxStore {
public:
    /// bodyWindow: bodies up to this size come with the claim; a longer one costs one more
    /// statement (outbox.max_body_bytes keeps new rows below it).
    OutboxStore(Dialect dialect, std::string table,
                std::size_t bodyWindow = OutboxWriter::Options{}.maxBodyBytes);

    /// Up to limit rows with available_at <= nowMs, in (available_at, seq) order. On MySQL the
    /// rows are locked FOR UPDATE SKIP LOCKED (call inside a transaction): concurrent relays
    /// get disjoint batches, and a dead relay's locks vanish with its connection.
    /// inFlight: rows this relay claimed and has not settled yet (its pipelined batches); they
    /// are left out (on SQLite nothing else would keep them out).
    /// beginsTransaction (MySQL): the claim's first query begins the caller's transaction
    /// (Transaction::BeginsWithNextQuery), saving the begin's round trip.
    std::vector<OutboxRow> claimDue(Poco::Data::Session& session, int limit, std::int64_t nowMs,
                                    const std::vector<std::int64_t>& inFlight = {},
                                    bool beginsTransaction = false);

    /// The ordered form (outbox.ordered = true): due rows without a partition key, and rows of
    /// the given lanes (CRC32(key) % lanes) whose key has no row backing off, in seq order, so
    /// that each key's rows go out in the order they were written and a failing head holds
    /// back only its own key. A scheduled row (never tried, available_at in the future) holds
    /// back nothing: its key's rows go out in seq order among those that are due.
    /// allLanes: SQLite, where the one relay owns every lane.
    std::vector<OutboxRow> claimOrdered(Poco::Data::Session& session, int limit, std::int64_t nowMs,
                                        int lanes, const std::set<int>& ownedLanes, bool allLanes);

    /// Deletes the rows in one statement.
    void remove(Poco::Data::Session& session, const std::vector<std::int64_t>& seqs);
    /// The statement remove() runs (seqs not empty), for a caller that sends it with its
    /// commit (Transaction::commitAfter).
    std::string removeSql(const std::vector<std::int64_t>& seqs) const;

    /// Records a failed attempt: attempts, next available_at and the error.
    void recordAttempt(Poco::Data::Session& session, std::int64_t seq, int attempts,
                       std::int64_t availableAt, const std::string& error);

    /// Removes the row of the message id while it waits for its delivery time: never tried
    /// (attempts = 0) and available_at later than nowMs. The guard sits in the DELETE's own
    /// WHERE, so a relay that claims the row meanwhile wins (the DELETE waits for its lock and
    /// then finds the row gone or due). Autocommit or the caller's transaction.
    CancelOutcome cancelScheduled(Poco::Data::Session& session, const Id& id, std::int64_t nowMs);

    /// Rows waiting (all, due or not) and since when the oldest has waited for a relay, for
    /// stats and metrics: its created_at, or for a scheduled row its delivery time (none while
    /// every row waits for its delivery time).
    std::pair<std::int64_t, std::optional<std::int64_t>> depth(Poco::Data::Session& session);

    /// Pending rows matching the filter (its window is on created_at), newest first, at most
    /// limit.
    std::vector<PendingRecord> listPending(Poco::Data::Session& session, const RowFilter& filter,
                                           int limit);

    const std::string& table() const noexcept { return _table; }

private:
    /// The ordered claim's SELECT: unkeyed due rows, and keyed ones of the owned lanes (all when
    /// allLanes) except blockedKeys placeholders for keys backing off.
    std::string orderedClaimSql(int lanes, const std::string& laneList, bool allLanes,
                                std::size_t blockedKeys) const;
    std::vector<OutboxRow> readRows(Poco::Data::Statement& select) const;
    /// readRows() for the same columns read by a MariaDB text query.
    static std::vector<OutboxRow> readTextRows(const std::vector<MysqlLink::TextRow>& cells);
    std::vector<OutboxRow> completeRows(Poco::Data::Session& session, std::vector<OutboxRow> rows);

    Dialect _dialect;
    std::string _table;
    LargeColumnReader _heavy; ///< headers and body
    std::string _claimSql;
};

} // namespace msgbus::core
