#include "core/failed/FailedStore.h"

#include "core/db/DbErrors.h"
#include "core/db/Schema.h"
#include "core/db/SchemaInspector.h"
#include "core/failed/FailureGroup.h"
#include "core/failed/GuardedChange.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"
#include "core/util/Utf8Text.h"

#include <msgbus/internal/Json.h>
#include <msgbus/internal/SqlIdentifier.h>

#include <Poco/Data/LOB.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>

#include <algorithm>
#include <limits>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

namespace {

// Column limits, in bytes, that every stored value is kept under (utf8mb4 VARCHAR(255) holds
// 255 characters, so 255 bytes always fit).
constexpr std::size_t kShortColumn = 255;
constexpr std::size_t kErrorColumn = 8000; // error_message TEXT: 65,535 bytes
// Room left in a packet besides the body: the other columns and the statement itself.
constexpr std::size_t kPacketOverhead = 64 * 1024;
// Bodies up to this size come with the statement that lists the rows; a longer one costs one
// more statement.
constexpr std::size_t kBodyWindow = 1024 * 1024;

/// An optional column value as Poco binds it (unset: NULL).
template <class To, class From> Poco::Nullable<To> nullableOf(const std::optional<From>& value) {
    return value ? Poco::Nullable<To>(static_cast<To>(*value)) : Poco::Nullable<To>();
}

} // namespace

FailedStore::FailedStore(Dialect dialect, std::string table)
    : _dialect(dialect), _table(std::move(table)), _heavy(dialect, kBodyWindow) {
    validateSqlIdentifier(_table, "failed.table");
}

std::size_t FailedStore::bodyCapacity(Poco::Data::Session& session, std::size_t otherBytes) {
    if (_dialect != Dialect::MySQL)
        return std::numeric_limits<std::size_t>::max();
    if (!_maxPacket) {
        // A statement bigger than max_allowed_packet is not refused politely: the server drops
        // the connection ("server has gone away"), which would look like an outage for ever.
        Poco::Int64 packet = 0;
        session << "SELECT @@max_allowed_packet", into(packet), now;
        _maxPacket = static_cast<std::size_t>(std::max<Poco::Int64>(packet, 0));
    }
    const std::size_t reserved = otherBytes + kPacketOverhead;
    const std::size_t byPacket = *_maxPacket > reserved ? *_maxPacket - reserved : 0;
    return std::min(kMediumBlobBytes, byPacket);
}

void FailedStore::fit(Poco::Data::Session& session, FailedRecord& r) {
    r.errorClass = storableText(r.errorClass, kShortColumn);
    if (r.messageName &&
        (r.messageName->size() > kShortColumn || !json::isValidUtf8(*r.messageName)))
        r.messageName.reset(); // the headers column still carries it
    const std::size_t capacity =
        bodyCapacity(session, r.envelopeJson.size() + kErrorColumn + 2 * kShortColumn);
    if (r.body.size() > capacity) {
        const std::size_t whole = r.body.size();
        r.body.resize(capacity);
        r.errorMessage = bodyCutNote(capacity, whole) + r.errorMessage;
        // A retry would run on the cut body: only an operator can decide what to do with it.
        if (r.queueName == "retry") {
            r.queueName = "failed";
            r.availableAt = nowMillis();
            r.failedAt = r.availableAt;
        }
    }
    r.errorMessage = storableText(r.errorMessage, kErrorColumn);
}

std::int64_t FailedStore::insert(Poco::Data::Session& session, FailedRecord& r) {
    fit(session, r);
    try {
        return insertRow(session, r);
    } catch (const std::exception& e) {
        if (isConnectionLost(e) || isLockConflict(e))
            throw;
        // Storing a failure must not fail: keep what can always be stored (identity, reason)
        // and say what was dropped and why.
        FailedRecord bare = r;
        bare.envelopeJson = "{}";
        bare.body.clear();
        bare.errorMessage = storableText(
            bodyDroppedNote(r.body.size(), errorText(e)) + r.errorMessage, kErrorColumn);
        return insertRow(session, bare);
    }
}

std::int64_t FailedStore::insertRow(Poco::Data::Session& session, const FailedRecord& r) {
    Poco::Nullable<Poco::Data::BLOB> id;
    if (r.messageId)
        id = Poco::Data::BLOB(r.messageId->bytes().data(), r.messageId->bytes().size());
    Poco::Nullable<std::string> name = nullableOf<std::string>(r.messageName);
    Poco::Data::BLOB body(reinterpret_cast<const unsigned char*>(r.body.data()), r.body.size());
    std::string queue = r.queueName, source = r.source, envelope = r.envelopeJson;
    std::string errorClass = r.errorClass, errorMessage = r.errorMessage;
    Poco::Int64 attempts = r.attempts, created = r.createdAt, available = r.availableAt;
    Poco::Nullable<Poco::Int64> failedAt = nullableOf<Poco::Int64>(r.failedAt);
    const bool grouped = hasGroupColumn(session);
    std::string group =
        grouped ? FailureGroup::keyOf(r.messageName, r.source, r.errorClass, r.errorMessage)
                : std::string();
    // COALESCE: Poco binds an empty BLOB as NULL, and an empty body is a body like any other.
    Poco::Data::Statement insert(session);
    insert << "INSERT INTO " + _table +
                  " (queue_name, source, message_id, message_name, headers, body, error_class, "
                  "error_message, attempts, created_at, available_at, failed_at" +
                  (grouped ? ", failure_group" : "") +
                  ") VALUES (?, ?, ?, ?, ?, COALESCE(?, X''), ?, ?, ?, ?, ?, ?" +
                  (grouped ? ", ?" : "") + ")",
        use(queue), use(source), use(id), use(name), use(envelope), use(body), use(errorClass),
        use(errorMessage), use(attempts), use(created), use(available), use(failedAt);
    if (grouped)
        insert, use(group);
    insert.execute();
    Poco::Int64 lastId = 0;
    session << (_dialect == Dialect::MySQL ? "SELECT LAST_INSERT_ID()"
                                           : "SELECT last_insert_rowid()"),
        into(lastId), now;
    return lastId;
}

std::vector<FailedRecord> FailedStore::select(Poco::Data::Session& session,
                                              const std::string& where,
                                              const std::vector<std::string>& params, int limit,
                                              const std::string& order, bool lock) {
    std::vector<Poco::Int64> ids, attempts, created, available;
    std::vector<std::string> queues, sources, classes, messages;
    std::vector<Poco::Nullable<std::string>> messageIds, names, leasedBy;
    LargeColumnReader::Results heavy;
    std::vector<Poco::Nullable<Poco::Int64>> failedAts;
    Poco::Data::Statement select(session);
    select << "SELECT id, queue_name, source, hex(message_id), message_name, " + _heavy.columns() +
                  ", error_class, error_message, attempts, created_at, available_at, failed_at, "
                  "leased_by FROM " +
                  _table + " WHERE " + where + " ORDER BY " + order + " LIMIT " +
                  std::to_string(limit) +
                  (lock && _dialect == Dialect::MySQL ? " FOR UPDATE SKIP LOCKED" : ""),
        into(ids), into(queues), into(sources), into(messageIds), into(names);
    _heavy.bind(select, heavy);
    select, into(classes), into(messages), into(attempts), into(created), into(available),
        into(failedAts), into(leasedBy);
    std::vector<std::string> bound = params;
    for (auto& p : bound)
        select, use(p);
    select.execute();

    std::vector<FailedRecord> out;
    std::vector<std::size_t> truncated;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        FailedRecord r;
        r.id = ids[i];
        r.queueName = queues[i];
        r.source = sources[i];
        // A row is listed even when its id column holds no valid id (written by hand): one odd
        // row must not hide the others.
        if (!messageIds[i].isNull() && Id::isValid(messageIds[i].value()))
            r.messageId = Id::parse(messageIds[i].value());
        if (!names[i].isNull())
            r.messageName = names[i].value();
        if (heavy.take(i, r.envelopeJson, r.body))
            truncated.push_back(out.size());
        r.errorClass = classes[i];
        r.errorMessage = messages[i];
        r.attempts = static_cast<int>(attempts[i]);
        r.createdAt = created[i];
        r.availableAt = available[i];
        if (!failedAts[i].isNull())
            r.failedAt = failedAts[i].value();
        if (!leasedBy[i].isNull())
            r.leasedBy = leasedBy[i].value();
        out.push_back(std::move(r));
    }
    select = Poco::Data::Statement(session); // one open result per MySQL connection
    for (std::size_t index : truncated) {
        auto& r = out[index];
        _heavy.readWhole(session, _table, "id", r.id, r.envelopeJson, r.body);
    }
    return out;
}

std::vector<FailedRecord> FailedStore::claimDueRetries(Poco::Data::Session& session, int limit,
                                                       std::int64_t nowMs,
                                                       const std::vector<std::string>& sources) {
    if (sources.empty())
        return {};
    // Only this host's consumers' rows: rows of a consumer it does not run must not fill every
    // claim and starve its own.
    std::string where =
        "queue_name IN ('retry', 'running') AND available_at <= " + std::to_string(nowMs) +
        " AND source IN (";
    for (std::size_t i = 0; i < sources.size(); ++i)
        where += i ? ",?" : "?";
    where += ")";
    return select(session, where, sources, limit, "available_at, id", false);
}

std::vector<FailedRecord> FailedStore::list(Poco::Data::Session& session,
                                            const std::string& queueName, const std::string& source,
                                            const std::string& name, int limit) {
    std::string where = "1 = 1";
    std::vector<std::string> params;
    if (!queueName.empty()) {
        where += " AND queue_name = ?";
        params.push_back(queueName);
    }
    if (!source.empty()) {
        where += " AND source = ?";
        params.push_back(source);
    }
    if (!name.empty()) {
        where += " AND message_name = ?";
        params.push_back(name);
    }
    return select(session, where, params, limit, "id DESC", false);
}

bool FailedStore::lease(Poco::Data::Session& session, std::int64_t id, const std::string& queueName,
                        int attempts, std::int64_t availableAt, const std::string& owner) {
    // The queue name is one of the two literals the claim selects: safe to inline.
    const std::string expected = queueName == "running" ? "running" : "retry";
    Poco::Data::Statement update(session);
    update << "UPDATE " + _table + " SET queue_name = 'running', attempts = attempts + 1, " +
                  "available_at = " + std::to_string(availableAt) +
                  ", leased_by = ? WHERE id = " + std::to_string(id) + " AND queue_name = '" +
                  expected + "' AND attempts = " + std::to_string(attempts),
        useRef(owner);
    return update.execute() == 1;
}

bool FailedStore::unlease(Poco::Data::Session& session, std::int64_t id, int leasedAttempts) {
    Poco::Data::Statement update(session);
    update << "UPDATE " + _table +
                  " SET queue_name = 'retry', attempts = attempts - 1, leased_by = NULL, "
                  "available_at = " +
                  std::to_string(nowMillis()) + " WHERE id = " + std::to_string(id) +
                  " AND queue_name = 'running' AND attempts = " + std::to_string(leasedAttempts);
    return update.execute() == 1;
}

std::optional<FailedRecord> FailedStore::find(Poco::Data::Session& session, std::int64_t id) {
    auto rows = select(session, "id = " + std::to_string(id), {}, 1, "id", false);
    if (rows.empty())
        return std::nullopt;
    return rows.front();
}

void FailedStore::remove(Poco::Data::Session& session, std::int64_t id) {
    session << "DELETE FROM " + _table + " WHERE id = " + std::to_string(id), now;
}

void FailedStore::update(Poco::Data::Session& session, const FailedRecord& r) {
    updateWhere(session, r, "");
}

bool FailedStore::updateIfUnchanged(Poco::Data::Session& session, const FailedRecord& record,
                                    const std::string& claimedQueue, int claimedAttempts) {
    // The queue name is one of the literals the claim selects: safe to inline.
    const std::string queue = claimedQueue == "running" ? "running" : "retry";
    return updateWhere(session, record,
                       " AND queue_name = '" + queue +
                           "' AND attempts = " + std::to_string(claimedAttempts)) == 1;
}

std::size_t FailedStore::updateWhere(Poco::Data::Session& session, const FailedRecord& r,
                                     const std::string& condition) {
    std::string queue = r.queueName;
    std::string errorClass = storableText(r.errorClass, kShortColumn);
    std::string errorMessage = storableText(r.errorMessage, kErrorColumn);
    Poco::Int64 attempts = r.attempts, available = r.availableAt, id = r.id;
    Poco::Nullable<Poco::Int64> failedAt = nullableOf<Poco::Int64>(r.failedAt);
    const bool grouped = hasGroupColumn(session);
    std::string group = grouped ? groupOf(session, r) : std::string();
    Poco::Data::Statement update(session);
    update << "UPDATE " + _table +
                  " SET queue_name = ?, error_class = ?, error_message = ?, attempts = ?, "
                  "available_at = ?, failed_at = ?" +
                  (grouped ? ", failure_group = ?" : "") + " WHERE id = ?" + condition,
        use(queue), use(errorClass), use(errorMessage), use(attempts), use(available),
        use(failedAt);
    if (grouped)
        update, use(group);
    update, use(id);
    return update.execute();
}

bool FailedStore::hasGroupColumn(Poco::Data::Session& session) {
    if (!_groupColumn) {
        const TableLayout layout = SchemaInspector(session, _dialect).read(_table);
        _groupColumn = false;
        for (const auto& column : layout.columns)
            _groupColumn = *_groupColumn || column.name == "failure_group";
    }
    return *_groupColumn;
}

std::string FailedStore::groupOf(Poco::Data::Session& session, const FailedRecord& r) {
    // The stored texts: the group must be what a backfill of this row would compute.
    const std::string errorClass = storableText(r.errorClass, kShortColumn);
    const std::string errorMessage = storableText(r.errorMessage, kErrorColumn);
    if (!r.source.empty())
        return FailureGroup::keyOf(r.messageName, r.source, errorClass, errorMessage);
    std::vector<std::string> sources;
    std::vector<Poco::Nullable<std::string>> names;
    session << "SELECT source, message_name FROM " + _table + " WHERE id = " + std::to_string(r.id),
        into(sources), into(names), now;
    if (sources.empty())
        return std::string(); // gone: the update changes nothing
    std::optional<std::string> name;
    if (!names[0].isNull())
        name = names[0].value();
    return FailureGroup::keyOf(name, sources[0], errorClass, errorMessage);
}

std::pair<std::int64_t, std::int64_t> FailedStore::counts(Poco::Data::Session& session) {
    Poco::Int64 retry = 0, failed = 0;
    session << "SELECT COUNT(*) FROM " + _table + " WHERE queue_name IN ('retry', 'running')",
        into(retry), now;
    session << "SELECT COUNT(*) FROM " + _table + " WHERE queue_name = 'failed'", into(failed), now;
    return {retry, failed};
}

} // namespace msgbus::core
