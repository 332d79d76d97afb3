#include "core/outbox/OutboxStore.h"

#include "core/db/MysqlLink.h"
#include "core/db/Transaction.h"

#include <msgbus/internal/SqlIdentifier.h>

#include <Poco/Data/LOB.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <tuple>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

namespace {

/// "1,2,3": integers we read or chose ourselves, inlined in SQL to keep statements free of
/// per-row binds.
template <typename Ints> std::string commaSeparated(const Ints& numbers) {
    std::string out;
    for (const auto n : numbers) {
        if (!out.empty())
            out += ',';
        out += std::to_string(n);
    }
    return out;
}

/// A derived table "k" with one BIGINT column "seq" holding the given seqs (MariaDB 10.6+),
/// for joins that must reach the outbox through its primary key and nothing else.
template <typename Ints> std::string seqTable(const Ints& seqs) {
    return "JSON_TABLE('[" + commaSeparated(seqs) +
           "]', '$[*]' COLUMNS (seq BIGINT PATH '$')) AS k";
}

} // namespace

OutboxStore::OutboxStore(Dialect dialect, std::string table, std::size_t bodyWindow)
    : _dialect(dialect), _table(std::move(table)), _heavy(dialect, bodyWindow) {
    validateSqlIdentifier(_table, "outbox.table");
    // hex() reads BINARY(16) and BLOB alike (Poco's MySQL extractor rejects BINARY as BLOB, and
    // its SQLite string extractor stops at a NUL byte).
    // FORCE INDEX: with stale statistics (a table that just filled up) MariaDB may pick a full
    // scan and a filesort, and FOR UPDATE SKIP LOCKED then locks every due row, so a second
    // relay claims nothing and deletes deadlock (seen in the two-relay e2e test).
    _claimSql = "SELECT seq, hex(message_id), message_name, partition_key, " + _heavy.columns() +
                ", created_at, attempts, available_at FROM " + _table +
                (_dialect == Dialect::MySQL ? " FORCE INDEX (ix_" + _table + "_available)" : "") +
                " WHERE available_at <= ? ORDER BY available_at, seq LIMIT ?";
    if (_dialect == Dialect::MySQL)
        _claimSql += " FOR UPDATE SKIP LOCKED";
}

std::vector<OutboxRow> OutboxStore::claimDue(Poco::Data::Session& session, int limit,
                                             std::int64_t nowMs,
                                             const std::vector<std::int64_t>& inFlight,
                                             bool beginsTransaction) {
    Poco::Int64 now = nowMs;
    Poco::Int64 max = limit;
    std::vector<OutboxRow> rows;
    if (_dialect == Dialect::SQLite) {
        std::string sql = _claimSql;
        if (!inFlight.empty())
            sql.replace(sql.find(" ORDER BY"), 0,
                        " AND seq NOT IN (" + commaSeparated(inFlight) + ")");
        Poco::Data::Statement select(session);
        select << sql, use(now), use(max);
        rows = readRows(select);
        return completeRows(session, std::move(rows));
    }
    // MariaDB, in one text query (a prepared statement would cost two round trips on every
    // batch's way out), with the transaction's begin in front when asked. A locking scan of the
    // (available_at, seq) index would also lock the index entries of rows it skips (SKIP
    // LOCKED skips the row, not the entry), and the relays' DELETEs then deadlock on each
    // other's entries (seen in the two-relay e2e test; every deadlock after a publish means a
    // republished batch). So the candidates come from a derived table, a plain lock-free read
    // of the index, and the rows are locked through a join on the primary key (eq_ref) only:
    // MariaDB 10.11 takes no lock in a derived table under a locking read (checked with
    // innodb_status_output_locks), and a plain "seq IN (...)" covering a good part of a small
    // table makes the optimizer scan, wait on and lock the whole primary key. The candidates
    // include rows other relays hold (skipped when locking); this relay's own batches in
    // flight are left out. No ORDER BY outside: a sort would lock every candidate before the
    // LIMIT applies; the rows are sorted here instead.
    const std::int64_t wanted = 2 * static_cast<std::int64_t>(limit);
    const std::string due = "available_at <= " + std::to_string(nowMs);
    rows = readTextRows(MysqlLink::selectRows(
        session,
        (beginsTransaction ? Transaction::kBeginSql + "; " : std::string()) +
            "SELECT o.seq, hex(o.message_id), o.message_name, o.partition_key, " +
            _heavy.columns("o.") +
            ", o.created_at, o.attempts, o.available_at FROM (SELECT seq FROM " + _table +
            " FORCE INDEX (ix_" + _table + "_available) WHERE " + due +
            (inFlight.empty() ? std::string()
                              : " AND seq NOT IN (" + commaSeparated(inFlight) + ")") +
            " ORDER BY available_at, seq LIMIT " + std::to_string(wanted) + ") k STRAIGHT_JOIN " +
            _table + " o ON o.seq = k.seq WHERE o." + due + " LIMIT " + std::to_string(limit) +
            " FOR UPDATE SKIP LOCKED",
        "claiming outbox rows"));
    std::sort(rows.begin(), rows.end(), [](const OutboxRow& a, const OutboxRow& b) {
        return std::tie(a.availableAt, a.seq) < std::tie(b.availableAt, b.seq);
    });
    return completeRows(session, std::move(rows));
}

namespace {

// Keys with a row backing off (only ever a key's head: the rows behind it are never tried while
// it waits). Few rows, found through the (available_at, seq) index. A scheduled row (a future
// available_at, never tried) holds nothing back: it takes its place in its key's order when it
// falls due, and the key's other rows go out meanwhile.
std::vector<std::string> backingOffKeys(Poco::Data::Session& session, const std::string& table,
                                        Poco::Int64 now) {
    std::vector<std::string> keys;
    session << "SELECT DISTINCT partition_key FROM " + table +
                   " WHERE available_at > ? AND attempts > 0 AND partition_key IS NOT NULL",
        use(now), into(keys), Poco::Data::Keywords::now;
    return keys;
}

// Drops each keyed row that a row of its key, due but not claimed (held by another relay's
// batch in flight), stands in front of; dueSeqs/dueKeys are the due rows read without locks.
void dropRowsBehindHeldKeys(std::vector<OutboxRow>& rows, const std::vector<Poco::Int64>& dueSeqs,
                            const std::vector<Poco::Nullable<std::string>>& dueKeys) {
    if (rows.empty() || dueSeqs.empty())
        return;
    std::set<std::int64_t> claimed;
    for (const auto& row : rows)
        claimed.insert(row.seq);
    std::map<std::string, std::int64_t> heldFrom; // key -> seq of its held row
    for (std::size_t i = 0; i < dueSeqs.size(); ++i) {
        if (dueKeys[i].isNull() || claimed.count(dueSeqs[i]))
            continue;
        auto [it, inserted] = heldFrom.emplace(dueKeys[i].value(), dueSeqs[i]);
        if (!inserted)
            it->second = std::min<std::int64_t>(it->second, dueSeqs[i]);
    }
    std::erase_if(rows, [&](const OutboxRow& row) {
        if (!row.partitionKey)
            return false;
        auto it = heldFrom.find(*row.partitionKey);
        return it != heldFrom.end() && row.seq > it->second;
    });
}

} // namespace

std::string OutboxStore::orderedClaimSql(int lanes, const std::string& laneList, bool allLanes,
                                         std::size_t blockedKeys) const {
    std::string sql = "SELECT seq, hex(message_id), message_name, partition_key, " +
                      _heavy.columns() + ", created_at, attempts, available_at FROM " + _table +
                      (_dialect == Dialect::MySQL ? " FORCE INDEX (PRIMARY)" : "") +
                      " WHERE (partition_key IS NULL AND available_at <= ?)";
    if (allLanes || !laneList.empty()) {
        sql += " OR (partition_key IS NOT NULL AND available_at <= ?";
        if (!allLanes)
            sql += " AND MOD(CRC32(partition_key), " + std::to_string(lanes) + ") IN (" + laneList +
                   ")";
        if (blockedKeys > 0) {
            sql += " AND partition_key NOT IN (";
            for (std::size_t i = 0; i < blockedKeys; ++i)
                sql += i ? ",?" : "?";
            sql += ")";
        }
        sql += ")";
    }
    return sql + " ORDER BY seq LIMIT ?";
}

std::vector<OutboxRow> OutboxStore::claimOrdered(Poco::Data::Session& session, int limit,
                                                 std::int64_t nowMs, int lanes,
                                                 const std::set<int>& ownedLanes, bool allLanes) {
    Poco::Int64 now = nowMs, max = limit;
    std::vector<std::string> blocked = backingOffKeys(session, _table, now);
    const std::string laneList = commaSeparated(ownedLanes);
    const bool keyed = allLanes || !laneList.empty();
    const std::string sql = orderedClaimSql(lanes, laneList, allLanes, keyed ? blocked.size() : 0);
    auto bindFilters = [&](Poco::Data::Statement& select) {
        select, use(now);
        if (keyed) {
            select, use(now);
            for (auto& key : blocked)
                select, use(key);
        }
        select, use(max);
    };
    // Fence (MariaDB): the rows due in seq order, read without locks. A keyed row among them
    // that the locking claim below skips is held by another relay's batch in flight (a former
    // lane owner whose lock connection dropped mid-batch, say): its key's later rows must wait
    // for it, or they would reach the broker first.
    std::vector<Poco::Int64> dueSeqs;
    std::vector<Poco::Nullable<std::string>> dueKeys;
    if (_dialect == Dialect::MySQL) {
        const std::string fenceSql = "SELECT seq, partition_key" + sql.substr(sql.find(" FROM "));
        Poco::Data::Statement fence(session);
        fence << fenceSql, into(dueSeqs), into(dueKeys);
        bindFilters(fence);
        fence.execute();
    }
    std::vector<OutboxRow> rows;
    {
        Poco::Data::Statement select(session);
        select << sql + (_dialect == Dialect::MySQL ? " FOR UPDATE SKIP LOCKED" : "");
        bindFilters(select);
        rows = readRows(select);
    }
    dropRowsBehindHeldKeys(rows, dueSeqs, dueKeys);
    return completeRows(session, std::move(rows));
}

void OutboxStore::remove(Poco::Data::Session& session, const std::vector<std::int64_t>& seqs) {
    if (seqs.empty())
        return;
    if (_dialect == Dialect::MySQL)
        // A text query (numbers only): one round trip.
        MysqlLink::execute(session, removeSql(seqs), "deleting confirmed outbox rows");
    else
        session << removeSql(seqs), now;
}

std::string OutboxStore::removeSql(const std::vector<std::int64_t>& seqs) const {
    if (_dialect == Dialect::SQLite)
        return "DELETE FROM " + _table + " WHERE seq IN (" + commaSeparated(seqs) + ")";
    // A join on the primary key, for the reason given in claimDue: "DELETE ... WHERE seq IN
    // (...)" turned into a scan of the whole table when the batch was a large part of it, and
    // two relays' scans deadlocked on each other's rows (InnoDB's deadlock report in the
    // two-relay e2e test). The lost transaction's rows were then claimed and published again
    // by the other relay.
    return "DELETE o FROM " + seqTable(seqs) + " STRAIGHT_JOIN " + _table + " o ON o.seq = k.seq";
}

void OutboxStore::recordAttempt(Poco::Data::Session& session, std::int64_t seq, int attempts,
                                std::int64_t availableAt, const std::string& error) {
    Poco::Int64 s = seq;
    Poco::Int64 a = attempts;
    Poco::Int64 at = availableAt;
    std::string e = error.substr(0, 4000);
    session << "UPDATE " + _table +
                   " SET attempts = ?, available_at = ?, last_error = ? WHERE seq = ?",
        use(a), use(at), use(e), use(s), now;
}

CancelOutcome OutboxStore::cancelScheduled(Poco::Data::Session& session, const Id& id,
                                           std::int64_t nowMs) {
    Poco::Data::BLOB key(id.bytes().data(), id.bytes().size());
    CancelOutcome outcome;
    std::vector<Poco::Int64> seqs, available, attempts;
    session << "SELECT seq, available_at, attempts FROM " + _table + " WHERE message_id = ?",
        use(key), into(seqs), into(available), into(attempts), Poco::Data::Keywords::now;
    if (seqs.empty())
        return outcome;
    outcome.availableAt = available.front();
    outcome.attempts = static_cast<int>(attempts.front());
    // By primary key, as the relay locks and deletes: a DELETE through the message_id index
    // would lock that index entry first and deadlock with a relay deleting the row it claimed.
    Poco::Int64 seq = seqs.front();
    Poco::Int64 now = nowMs;
    Poco::Data::Statement remove(session);
    remove << "DELETE FROM " + _table + " WHERE seq = ? AND available_at > ? AND attempts = 0",
        use(seq), use(now);
    outcome.cancelled = remove.execute() > 0;
    if (!outcome.cancelled) {
        // Claimed and settled meanwhile (gone, or tried and due again later): read it again.
        CancelOutcome current;
        std::vector<Poco::Int64> again, tried;
        session << "SELECT available_at, attempts FROM " + _table + " WHERE seq = ?", use(seq),
            into(again), into(tried), Poco::Data::Keywords::now;
        if (!again.empty()) {
            current.availableAt = again.front();
            current.attempts = static_cast<int>(tried.front());
        }
        return current;
    }
    return outcome;
}

std::pair<std::int64_t, std::optional<std::int64_t>>
OutboxStore::depth(Poco::Data::Session& session) {
    Poco::Int64 count = 0;
    Poco::Nullable<Poco::Int64> oldest;
    // The oldest is the longest waiting for a relay: a scheduled row counts from its delivery
    // time (not before it, or every message scheduled for next week would raise the age alarm),
    // a row tried before from its creation (a failing head stays visible as it ages).
    Poco::Int64 nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    session << "SELECT COUNT(*), MIN(CASE WHEN attempts > 0 THEN created_at WHEN available_at <= "
               "? THEN available_at END) FROM " +
                   _table,
        use(nowMs), into(count), into(oldest), now;
    std::optional<std::int64_t> o;
    if (!oldest.isNull())
        o = oldest.value();
    return {count, o};
}

// Alike on purpose: each listing reads its own table's columns; listedRecords() has the rest.
std::vector<PendingRecord> OutboxStore::listPending(Poco::Data::Session& session,
                                                    const RowFilter& filter, int limit) {
    auto rows = RowFilterSql(filter, "created_at", "seq")
                    .list(session, "seq", ", available_at, attempts, last_error", _table,
                          "seq DESC", limit);
    return listedRecords<PendingRecord>(rows, [&rows](PendingRecord& r, std::size_t i) {
        r.seq = rows.value(0, i).convert<Poco::Int64>();
        r.availableAt = rows.value(5, i).convert<Poco::Int64>();
        r.attempts = rows.value(6, i).convert<int>();
        if (!rows.value(7, i).isEmpty())
            r.lastError = rows.value(7, i).convert<std::string>();
    });
}

} // namespace msgbus::core
