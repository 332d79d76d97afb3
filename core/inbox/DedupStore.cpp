#include "core/inbox/DedupStore.h"

#include <msgbus/SqlIdentifier.h>

#include <Poco/Data/LOB.h>
#include <Poco/Data/Statement.h>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

DedupStore::DedupStore(Dialect dialect, std::string table)
    : _dialect(dialect), _table(std::move(table)) {
    validateSqlIdentifier(_table, "dedup.table");
    _insertSql = "INSERT INTO " + _table +
                 " (message_id, consumer, message_name, processed_at) VALUES (?, ?, ?, ?)";
    // Both forms report 0 affected rows for a duplicate and 1 for an insert.
    _insertSql += _dialect == Dialect::MySQL ? " ON DUPLICATE KEY UPDATE message_id = message_id"
                                             : " ON CONFLICT (message_id, consumer) DO NOTHING";
}

bool DedupStore::tryInsert(Poco::Data::Session& session, const Id& id, const std::string& consumer,
                           const std::string& messageName, std::int64_t processedAt) {
    Poco::Data::BLOB key(id.bytes().data(), id.bytes().size());
    std::string c = consumer;
    std::string n = messageName;
    Poco::Int64 at = processedAt;
    Poco::Data::Statement insert(session);
    insert << _insertSql, use(key), use(c), use(n), use(at);
    return insert.execute() > 0;
}

std::size_t DedupStore::removeOlderThan(Poco::Data::Session& session, std::int64_t cutoffMs,
                                        int batchSize) {
    Poco::Int64 cutoff = cutoffMs;
    Poco::Int64 limit = batchSize;
    Poco::Data::Statement remove(session);
    if (_dialect == Dialect::MySQL)
        remove << "DELETE FROM " + _table + " WHERE processed_at < ? LIMIT ?", use(cutoff),
            use(limit);
    else
        // The table is WITHOUT ROWID: pick the victims by their key.
        remove << "DELETE FROM " + _table +
                      " WHERE (message_id, consumer) IN (SELECT message_id, consumer FROM " +
                      _table + " WHERE processed_at < ? LIMIT ?)",
            use(cutoff), use(limit);
    return remove.execute();
}

} // namespace msgbus::core
