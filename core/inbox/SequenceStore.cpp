#include "core/inbox/SequenceStore.h"

#include "core/db/ParkingTables.h"
#include "core/util/Utf8Text.h"

#include <msgbus/internal/SqlIdentifier.h>

#include <Poco/Data/LOB.h>
#include <Poco/Data/Statement.h>
#include <Poco/DigestEngine.h>
#include <Poco/Nullable.h>
#include <Poco/SHA2Engine.h>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

namespace {

constexpr std::size_t kKeyBytes = 255;
/// Bodies per multi-row insert of parked rows: well under max_allowed_packet (16 MiB by
/// default), so one statement never carries more than the server takes.
constexpr std::size_t kParkStatementBytes = 4 * 1024 * 1024;
constexpr std::size_t kBodyWindow = 1024 * 1024;

Poco::Data::BLOB blobOf(const Id& id) {
    return Poco::Data::BLOB(id.bytes().data(), id.bytes().size());
}

std::string placeholders(std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i)
        out += i ? ", ?" : "?";
    return out;
}

} // namespace

SequenceStore::SequenceStore(Dialect dialect, const std::string& dedupTable)
    : _dialect(dialect), _sequences(sequencesTableOf(dedupTable)),
      _parked(parkedTableOf(dedupTable)), _heavy(dialect, kBodyWindow) {
    validateSqlIdentifier(_sequences, "dedup.table");
    validateSqlIdentifier(_parked, "dedup.table");
}

std::string SequenceStore::keyOf(const std::string& partitionKey) {
    if (partitionKey.size() <= kKeyBytes && partitionKey.find('\0') == std::string::npos &&
        lossyUtf8(partitionKey) == partitionKey)
        return partitionKey;
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(partitionKey);
    return "sha256:" + Poco::DigestEngine::digestToHex(sha.digest());
}

std::map<std::string, std::optional<Id>>
SequenceStore::lockOpen(Poco::Data::Session& session, const std::string& consumer,
                        const std::vector<std::string>& keys) {
    std::map<std::string, std::optional<Id>> open;
    if (keys.empty())
        return open;
    std::vector<std::string> found;
    std::vector<Poco::Nullable<std::string>> heads;
    std::vector<std::string> bound = keys;
    Poco::Data::Statement select(session);
    select << "SELECT partition_key, hex(head_message_id) FROM " + _sequences +
                  " WHERE consumer = '" + consumer + "' AND partition_key IN (" +
                  placeholders(keys.size()) + ")" +
                  (_dialect == Dialect::MySQL ? " FOR UPDATE" : ""),
        into(found), into(heads);
    for (auto& key : bound)
        select, use(key);
    select.execute();
    for (std::size_t i = 0; i < found.size(); ++i) {
        std::optional<Id> head;
        if (!heads[i].isNull() && Id::isValid(heads[i].value()))
            head = Id::parse(heads[i].value());
        open.emplace(found[i], head);
    }
    return open;
}

void SequenceStore::open(Poco::Data::Session& session, const std::string& consumer,
                         const std::string& key, const Id& head, std::int64_t nowMs,
                         bool replaceHead) {
    std::string c = consumer, k = key;
    Poco::Data::BLOB h = blobOf(head);
    Poco::Int64 at = nowMs;
    const std::string onDuplicate =
        _dialect == Dialect::MySQL
            ? (replaceHead ? " ON DUPLICATE KEY UPDATE head_message_id = VALUES(head_message_id)"
                           : " ON DUPLICATE KEY UPDATE head_message_id = head_message_id")
            : (replaceHead ? " ON CONFLICT (consumer, partition_key) DO UPDATE SET "
                             "head_message_id = excluded.head_message_id"
                           : " ON CONFLICT (consumer, partition_key) DO NOTHING");
    session << "INSERT INTO " + _sequences +
                   " (consumer, partition_key, head_message_id, opened_at) VALUES (?, ?, ?, ?)" +
                   onDuplicate,
        use(c), use(k), use(h), use(at), now;
}

void SequenceStore::park(Poco::Data::Session& session, const std::string& consumer,
                         const std::vector<ParkedMessage>& rows, std::int64_t nowMs) {
    std::size_t first = 0;
    while (first < rows.size()) {
        std::size_t end = first, bytes = 0;
        while (end < rows.size() &&
               (end == first || bytes + rows[end].body.size() + rows[end].headersJson.size() <=
                                    kParkStatementBytes)) {
            bytes += rows[end].body.size() + rows[end].headersJson.size();
            ++end;
        }
        const std::size_t n = end - first;
        std::vector<std::string> keys(n), names(n), headers(n);
        std::vector<Poco::Data::BLOB> ids(n), bodies(n);
        Poco::Int64 at = nowMs;
        std::string sql = "INSERT INTO " + _parked +
                          " (consumer, partition_key, message_id, message_name, headers, body, "
                          "parked_at) VALUES ";
        Poco::Data::Statement insert(session);
        for (std::size_t i = 0; i < n; ++i) {
            const ParkedMessage& row = rows[first + i];
            keys[i] = row.key;
            names[i] = row.messageName;
            headers[i] = row.headersJson;
            ids[i] = blobOf(row.messageId);
            bodies[i] = Poco::Data::BLOB(reinterpret_cast<const unsigned char*>(row.body.data()),
                                         row.body.size());
            // COALESCE: Poco binds an empty BLOB as NULL, and an empty body is a body too.
            sql += std::string(i ? ", " : "") + "('" + consumer +
                   "', ?, ?, ?, ?, COALESCE(?, X''), ?)";
        }
        // A message parked already comes again when its deduplication row was cleaned while it
        // waited (dedup.retention): it stays parked once, and its dedup row is back.
        sql += _dialect == Dialect::MySQL ? " ON DUPLICATE KEY UPDATE message_id = message_id"
                                          : " ON CONFLICT (consumer, message_id) DO NOTHING";
        insert << sql;
        for (std::size_t i = 0; i < n; ++i)
            insert, use(keys[i]), use(ids[i]), use(names[i]), use(headers[i]), use(bodies[i]),
                use(at);
        insert.execute();
        first = end;
    }
}

std::size_t SequenceStore::resolve(Poco::Data::Session& session, const std::string& consumer,
                                   const Id& head) {
    Poco::Data::BLOB h = blobOf(head);
    Poco::Data::Statement update(session);
    update << "UPDATE " + _sequences + " SET head_message_id = NULL WHERE consumer = '" + consumer +
                  "' AND head_message_id = ?",
        use(h);
    return update.execute();
}

bool SequenceStore::resolveRow(Poco::Data::Session& session, const std::string& source,
                               const Id& head, const std::vector<std::string>& orderedConsumers) {
    // Only a configured name reaches the SQL: the source column is data.
    for (const auto& consumer : orderedConsumers)
        if (source == "amqp:" + consumer)
            return resolve(session, consumer, head) > 0;
    return false;
}

std::vector<std::string> SequenceStore::released(Poco::Data::Session& session,
                                                 const std::string& consumer, int limit) {
    std::vector<std::string> keys;
    session << "SELECT partition_key FROM " + _sequences + " WHERE consumer = '" + consumer +
                   "' AND head_message_id IS NULL ORDER BY opened_at LIMIT " +
                   std::to_string(limit),
        into(keys), now;
    return keys;
}

bool SequenceStore::lockReleased(Poco::Data::Session& session, const std::string& consumer,
                                 const std::string& key) {
    std::string k = key;
    std::vector<Poco::Int64> found;
    session << "SELECT opened_at FROM " + _sequences + " WHERE consumer = '" + consumer +
                   "' AND partition_key = ? AND head_message_id IS NULL" +
                   (_dialect == Dialect::MySQL ? " FOR UPDATE" : ""),
        use(k), into(found), now;
    return !found.empty();
}

std::vector<ParkedMessage> SequenceStore::nextParked(Poco::Data::Session& session,
                                                     const std::string& consumer,
                                                     const std::string& key, int limit) {
    std::string k = key;
    std::vector<Poco::Int64> ids, parkedAt;
    std::vector<std::string> messageIds, names;
    LargeColumnReader::Results heavy;
    Poco::Data::Statement select(session);
    select << "SELECT id, hex(message_id), message_name, parked_at, " + _heavy.columns() +
                  " FROM " + _parked + " WHERE consumer = '" + consumer +
                  "' AND partition_key = ? ORDER BY id LIMIT " + std::to_string(limit),
        into(ids), into(messageIds), into(names), into(parkedAt);
    _heavy.bind(select, heavy);
    select, use(k);
    select.execute();
    std::vector<ParkedMessage> out;
    std::vector<std::size_t> cut;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        ParkedMessage m{ids[i], key, Id::parse(messageIds[i]), names[i], {}, {}, parkedAt[i]};
        if (heavy.take(i, m.headersJson, m.body))
            cut.push_back(out.size());
        out.push_back(std::move(m));
    }
    select = Poco::Data::Statement(session); // one open result per MySQL connection
    for (std::size_t index : cut)
        _heavy.readWhole(session, _parked, "id", out[index].id, out[index].headersJson,
                         out[index].body);
    return out;
}

void SequenceStore::removeParked(Poco::Data::Session& session, std::int64_t id) {
    session << "DELETE FROM " + _parked + " WHERE id = " + std::to_string(id), now;
}

bool SequenceStore::parkedExists(Poco::Data::Session& session, std::int64_t id) {
    Poco::Int64 n = 0;
    session << "SELECT COUNT(*) FROM " + _parked + " WHERE id = " + std::to_string(id), into(n),
        now;
    return n > 0;
}

std::optional<std::string>
SequenceStore::keyHeadedBy(Poco::Data::Session& session, const std::string& source, const Id& head,
                           const std::vector<std::string>& orderedConsumers) {
    for (const auto& consumer : orderedConsumers) {
        if (source != "amqp:" + consumer)
            continue;
        Poco::Data::BLOB h = blobOf(head);
        std::vector<std::string> keys;
        session << "SELECT partition_key FROM " + _sequences + " WHERE consumer = '" + consumer +
                       "' AND head_message_id = ?",
            use(h), into(keys), now;
        if (!keys.empty())
            return keys.front();
    }
    return std::nullopt;
}

bool SequenceStore::release(Poco::Data::Session& session, const std::string& consumer,
                            const std::string& key) {
    std::string k = key;
    std::vector<Poco::Int64> found;
    session << "SELECT opened_at FROM " + _sequences + " WHERE consumer = '" + consumer +
                   "' AND partition_key = ?" + (_dialect == Dialect::MySQL ? " FOR UPDATE" : ""),
        use(k), into(found), now;
    if (found.empty())
        return false;
    session << "UPDATE " + _sequences + " SET head_message_id = NULL WHERE consumer = '" +
                   consumer + "' AND partition_key = ?",
        use(k), now;
    return true;
}

void SequenceStore::close(Poco::Data::Session& session, const std::string& consumer,
                          const std::string& key) {
    std::string k = key;
    session << "DELETE FROM " + _sequences + " WHERE consumer = '" + consumer +
                   "' AND partition_key = ? AND head_message_id IS NULL",
        use(k), now;
}

std::vector<SequenceInfo> SequenceStore::list(Poco::Data::Session& session,
                                              const std::optional<std::string>& consumer,
                                              int limit) {
    std::vector<std::string> consumers, keys;
    std::vector<Poco::Nullable<std::string>> heads;
    std::vector<Poco::Int64> opened, counts;
    std::vector<Poco::Nullable<Poco::Int64>> oldest;
    std::string where;
    std::vector<std::string> bound;
    if (consumer) {
        where = " WHERE s.consumer = ?";
        bound.push_back(*consumer);
    }
    Poco::Data::Statement select(session);
    select << "SELECT s.consumer, s.partition_key, hex(s.head_message_id), s.opened_at, "
              "(SELECT COUNT(*) FROM " +
                  _parked +
                  " p WHERE p.consumer = s.consumer AND p.partition_key = s.partition_key), "
                  "(SELECT MIN(p.parked_at) FROM " +
                  _parked +
                  " p WHERE p.consumer = s.consumer AND p.partition_key = s.partition_key) "
                  "FROM " +
                  _sequences + " s" + where + " ORDER BY s.opened_at LIMIT " +
                  std::to_string(limit),
        into(consumers), into(keys), into(heads), into(opened), into(counts), into(oldest);
    for (auto& b : bound)
        select, use(b);
    select.execute();
    std::vector<SequenceInfo> out;
    for (std::size_t i = 0; i < consumers.size(); ++i) {
        SequenceInfo s;
        s.consumer = consumers[i];
        s.key = keys[i];
        if (!heads[i].isNull() && Id::isValid(heads[i].value()))
            s.head = Id::parse(heads[i].value());
        s.openedAt = opened[i];
        s.parked = counts[i];
        if (!oldest[i].isNull())
            s.oldestParkedAt = oldest[i].value();
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<std::string> SequenceStore::consumers(Poco::Data::Session& session) {
    std::vector<std::string> out;
    session << "SELECT DISTINCT consumer FROM " + _sequences, into(out), now;
    return out;
}

std::int64_t SequenceStore::parkedCount(Poco::Data::Session& session) {
    Poco::Int64 n = 0;
    session << "SELECT COUNT(*) FROM " + _parked, into(n), now;
    return n;
}

} // namespace msgbus::core
