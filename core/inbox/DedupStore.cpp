#include "core/inbox/DedupStore.h"

#include "core/db/MysqlLink.h"
#include "core/db/RowPurge.h"
#include "core/db/Transaction.h"

#include <msgbus/internal/SqlIdentifier.h>

#include <Poco/Data/LOB.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

namespace {

/// The id's bytes as upper-case hex: the SQL literal X'<hex>', and what hex() returns (MariaDB
/// and SQLite alike).
std::string hexOf(const Id& id) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(32);
    for (auto b : id.bytes()) {
        out += digits[b >> 4];
        out += digits[b & 0xf];
    }
    return out;
}

/// Both forms report 0 affected rows for a duplicate and 1 for an insert.
const char* onDuplicateDoNothing(Dialect dialect) {
    return dialect == Dialect::MySQL ? " ON DUPLICATE KEY UPDATE message_id = message_id"
                                     : " ON CONFLICT (message_id, consumer) DO NOTHING";
}

} // namespace

DedupStore::DedupStore(Dialect dialect, std::string table, bool partitioned)
    : _dialect(dialect), _table(std::move(table)), _partitioned(partitioned) {
    validateSqlIdentifier(_table, "dedup.table");
    _insertSql = "INSERT INTO " + _table +
                 " (message_id, consumer, message_name, processed_at) VALUES (?, ?, ?, ?)";
    _insertSql += onDuplicateDoNothing(_dialect);
}

bool DedupStore::tryInsert(Poco::Data::Session& session, const Id& id, const std::string& consumer,
                           const std::string& messageName, std::int64_t processedAt) {
    Poco::Data::BLOB key(id.bytes().data(), id.bytes().size());
    std::string c = consumer;
    std::string n = messageName;
    Poco::Int64 at = processedAt;
    Poco::Data::Statement insert(session);
    insert << _insertSql, use(key), use(c), use(n), use(at);
    if (insert.execute() == 0)
        return false;
    const std::string hex = "X'" + hexOf(id) + "'";
    if (!_partitioned || heldElsewhere(session, consumer, hex, processedAt) == 0)
        return true;
    // Processed on another day: a duplicate. The row just inserted goes again.
    session << "DELETE FROM " + _table + " WHERE message_id = " + hex + " AND consumer = '" +
                   consumer + "' AND processed_at = " + std::to_string(processedAt),
        now;
    return false;
}

std::size_t DedupStore::heldElsewhere(Poco::Data::Session& session, const std::string& consumer,
                                      const std::string& idList, std::int64_t processedAt) {
    Poco::Int64 found = 0;
    session << "SELECT COUNT(DISTINCT message_id) FROM " + _table + " WHERE consumer = '" +
                   consumer + "' AND message_id IN (" + idList + ") AND processed_at <> " +
                   std::to_string(processedAt) + " LOCK IN SHARE MODE",
        into(found), now;
    return static_cast<std::size_t>(found);
}

std::size_t DedupStore::insertedBy(Poco::Data::Session& session, const std::string& sql) const {
    // On MariaDB as a text query: every value is already in the text (hex ids, numbers,
    // checked names), and a prepared statement would cost a second round trip per batch.
    if (_dialect == Dialect::MySQL)
        return MysqlLink::execute(session, sql, "writing deduplication rows");
    Poco::Data::Statement insert(session);
    insert << sql;
    return insert.execute();
}

std::size_t DedupStore::tryInsertAll(Poco::Data::Session& session, const std::string& consumer,
                                     const std::vector<Entry>& entries, std::int64_t processedAt,
                                     bool beginsTransaction) {
    if (entries.empty())
        return 0;
    const std::string at = std::to_string(processedAt);
    std::string sql = (beginsTransaction ? Transaction::kBeginSql + "; " : std::string()) +
                      "INSERT INTO " + _table +
                      " (message_id, consumer, message_name, processed_at) VALUES ";
    for (std::size_t i = 0; i < entries.size(); ++i)
        sql += (i ? ",(X'" : "(X'") + hexOf(entries[i].id) + "','" + consumer + "','" +
               entries[i].messageName + "'," + at + ")";
    sql += onDuplicateDoNothing(_dialect);
    const std::size_t inserted = insertedBy(session, sql);
    if (!_partitioned || inserted == 0)
        return inserted;
    std::string ids;
    for (const auto& entry : entries)
        ids += (ids.empty() ? "X'" : ",X'") + hexOf(entry.id) + "'";
    const std::size_t elsewhere = heldElsewhere(session, consumer, ids, processedAt);
    return elsewhere >= inserted ? 0 : inserted - elsewhere;
}

std::set<Id> DedupStore::findProcessed(Poco::Data::Session& session, const std::string& consumer,
                                       const std::vector<Id>& ids) {
    if (ids.empty())
        return {};
    std::string in;
    for (const auto& id : ids)
        in += (in.empty() ? "X'" : ",X'") + hexOf(id) + "'";
    std::vector<std::string> known;
    session << "SELECT hex(message_id) FROM " + _table + " WHERE consumer = '" + consumer +
                   "' AND message_id IN (" + in + ")",
        into(known), now;
    const std::set<std::string> seen(known.begin(), known.end());
    std::set<Id> processed;
    for (const auto& id : ids)
        if (seen.count(hexOf(id)))
            processed.insert(id);
    return processed;
}

std::string DedupStore::existsCondition(const Id& id, const std::string& consumer) const {
    return "EXISTS (SELECT 1 FROM " + _table + " WHERE message_id = X'" + hexOf(id) +
           "' AND consumer = '" + consumer + "')";
}

void DedupStore::remove(Poco::Data::Session& session, const Id& id, const std::string& consumer) {
    session << "DELETE FROM " + _table + " WHERE message_id = X'" + hexOf(id) +
                   "' AND consumer = '" + consumer + "'",
        now;
}

std::size_t DedupStore::removeOlderThan(Poco::Data::Session& session, std::int64_t cutoffMs,
                                        int batchSize) {
    // SQLite: the table is WITHOUT ROWID, so the victims are picked by their key.
    const std::string sql =
        _dialect == Dialect::MySQL
            ? "DELETE FROM " + _table + " WHERE processed_at < ? LIMIT ?"
            : "DELETE FROM " + _table +
                  " WHERE (message_id, consumer) IN (SELECT message_id, consumer FROM " + _table +
                  " WHERE processed_at < ? LIMIT ?)";
    return purgeBatch(session, sql, cutoffMs, batchSize);
}

std::optional<std::int64_t> DedupStore::oldestProcessedAt(Poco::Data::Session& session) {
    Poco::Nullable<Poco::Int64> oldest;
    session << "SELECT MIN(processed_at) FROM " + _table, into(oldest), now;
    if (oldest.isNull())
        return std::nullopt;
    return oldest.value();
}

} // namespace msgbus::core
