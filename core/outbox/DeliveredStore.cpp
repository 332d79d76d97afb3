#include "core/outbox/DeliveredStore.h"

#include "core/db/RowPurge.h"

#include "core/util/Utf8Text.h"

#include <msgbus/internal/Json.h>
#include <msgbus/internal/SqlIdentifier.h>

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

namespace {

const char* const kCopiedColumns =
    "message_id, message_name, partition_key, headers, body, created_at";

/// [[seq,"exchange","routing key"],...]: the batch's routes as one bound value, so one
/// statement records a batch however many routes it took. Route text is made valid UTF-8 first
/// (a routing key is any bytes on the wire; the columns are text).
std::string routesJson(const std::vector<DeliveredRoute>& routes) {
    std::string json = "[";
    for (const auto& route : routes) {
        if (json.size() > 1)
            json += ',';
        json += '[' + std::to_string(route.seq) + ',' +
                json::quote(utf8Prefix(lossyUtf8(route.exchange), 255)) + ',' +
                json::quote(utf8Prefix(lossyUtf8(route.routingKey), 255)) + ']';
    }
    return json + ']';
}

} // namespace

DeliveredStore::DeliveredStore(Dialect dialect, std::string outboxTable)
    : _dialect(dialect), _outbox(std::move(outboxTable)), _table(deliveredTableOf(_outbox)) {
    validateSqlIdentifier(_outbox, "outbox.table");
    validateSqlIdentifier(_table, "outbox.table");
}

bool DeliveredStore::exists(Poco::Data::Session& session) {
    Poco::Int64 found = 0;
    std::string name = _table;
    if (_dialect == Dialect::MySQL)
        session << "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
                   "AND table_name = ?",
            use(name), into(found), now;
    else
        session << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
            use(name), into(found), now;
    return found > 0;
}

void DeliveredStore::record(Poco::Data::Session& session, const std::vector<DeliveredRoute>& routes,
                            std::int64_t deliveredAt) {
    if (routes.empty())
        return;
    Poco::Int64 at = deliveredAt;
    std::string json = routesJson(routes);
    const std::string insert = "INSERT INTO " + _table + " (" + kCopiedColumns +
                               ", attempts, delivered_at, exchange, routing_key) ";
    if (_dialect == Dialect::MySQL)
        // Reached through the primary key only, for the reason the relay's DELETE is: a scan
        // would lock other relays' rows.
        session << insert +
                       "SELECT o.message_id, o.message_name, o.partition_key, o.headers, o.body, "
                       "o.created_at, o.attempts + 1, ?, k.ex, k.rk FROM JSON_TABLE(?, '$[*]' "
                       "COLUMNS (seq BIGINT PATH '$[0]', ex VARCHAR(255) PATH '$[1]', rk "
                       "VARCHAR(255) PATH '$[2]')) AS k STRAIGHT_JOIN " +
                       _outbox + " o ON o.seq = k.seq",
            use(at), use(json), now;
    else
        session << insert +
                       "SELECT o.message_id, o.message_name, o.partition_key, o.headers, o.body, "
                       "o.created_at, o.attempts + 1, ?, json_extract(k.value, '$[1]'), "
                       "json_extract(k.value, '$[2]') FROM json_each(?) AS k JOIN " +
                       _outbox + " o ON o.seq = json_extract(k.value, '$[0]')",
            use(at), use(json), now;
}

// Alike on purpose: each listing reads its own table's columns; listedRecords() has the rest.
std::vector<DeliveryRecord> DeliveredStore::list(Poco::Data::Session& session,
                                                 const RowFilter& filter, int limit) {
    auto rows = RowFilterSql(filter, "delivered_at", "id")
                    .list(session, "id", ", delivered_at, exchange, routing_key, attempts", _table,
                          "delivered_at DESC, id DESC", limit);
    return listedRecords<DeliveryRecord>(rows, [&rows](DeliveryRecord& r, std::size_t i) {
        r.id = rows.value(0, i).convert<Poco::Int64>();
        r.deliveredAt = rows.value(5, i).convert<Poco::Int64>();
        r.exchange = rows.value(6, i).convert<std::string>();
        r.routingKey = rows.value(7, i).convert<std::string>();
        r.attempts = rows.value(8, i).convert<int>();
    });
}

std::int64_t DeliveredStore::count(Poco::Data::Session& session, const RowFilter& filter) {
    RowFilterSql where(filter, "delivered_at", "id");
    Poco::Int64 total = 0;
    Poco::Data::Statement select(session);
    select << "SELECT COUNT(*) FROM " + _table + where.where(), into(total);
    where.bind(select);
    select.execute();
    return total;
}

std::int64_t DeliveredStore::lastId(Poco::Data::Session& session) {
    Poco::Nullable<Poco::Int64> last;
    session << "SELECT MAX(id) FROM " + _table, into(last), now;
    return last.isNull() ? 0 : last.value();
}

std::vector<std::int64_t> DeliveredStore::keysAfter(Poco::Data::Session& session,
                                                    const RowFilter& filter, std::int64_t afterId,
                                                    int limit) {
    RowFilterSql where(filter, "delivered_at", "id");
    Poco::Int64 after = afterId;
    Poco::Int64 max = limit;
    std::vector<Poco::Int64> keys;
    Poco::Data::Statement select(session);
    select << "SELECT id FROM " + _table + where.whereAnd("id > ?") + " ORDER BY id LIMIT ?",
        into(keys);
    where.bind(select);
    select, use(after), use(max);
    select.execute();
    return {keys.begin(), keys.end()};
}

std::size_t DeliveredStore::replay(Poco::Data::Session& session,
                                   const std::vector<std::int64_t>& keys, std::int64_t nowMs) {
    if (keys.empty())
        return 0;
    std::string in;
    for (auto key : keys)
        in += (in.empty() ? "" : ",") + std::to_string(key);
    Poco::Int64 at = nowMs;
    const std::string insert = "INSERT INTO " + _outbox + " (" + kCopiedColumns +
                               ", available_at, attempts) SELECT message_id, message_name, "
                               "partition_key, headers, body, ?, ?, 0 FROM " +
                               _table + " WHERE id IN (" + in + ")";
    // In delivery order, so that a key's replayed messages leave in the order they first did.
    // A message still pending keeps its row (the unique message_id): insert-or-ignore that
    // ignores the duplicate key only, unlike INSERT IGNORE, which would also hide truncation.
    Poco::Data::Statement statement(session);
    if (_dialect == Dialect::MySQL)
        statement << insert + " ORDER BY id ON DUPLICATE KEY UPDATE seq = seq", use(at), use(at);
    else
        statement << insert + " ORDER BY id ON CONFLICT (message_id) DO NOTHING", use(at), use(at);
    return statement.execute();
}

std::size_t DeliveredStore::removeOlderThan(Poco::Data::Session& session, std::int64_t cutoffMs,
                                            int batchSize) {
    const std::string sql =
        _dialect == Dialect::MySQL
            ? "DELETE FROM " + _table + " WHERE delivered_at < ? ORDER BY delivered_at LIMIT ?"
            : "DELETE FROM " + _table + " WHERE id IN (SELECT id FROM " + _table +
                  " WHERE delivered_at < ? ORDER BY delivered_at LIMIT ?)";
    return purgeBatch(session, sql, cutoffMs, batchSize);
}

} // namespace msgbus::core
