#include "core/db/HeartbeatStore.h"

#include "core/util/Utf8Text.h"

#include <msgbus/internal/Json.h>
#include <msgbus/internal/SqlIdentifier.h>

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Nullable.h>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

namespace {

const char* const kColumns = "id, instance, hostname, pid, version, plugin_generation, plugins, "
                             "consumers, beat_interval_ms, started_at, last_beat, stopped_at";

/// The bound values of a row, in kColumns order (stopped_at is always written NULL: a row is
/// written by a running host).
struct BoundBeat {
    std::string id, instance, hostname;
    Poco::Int64 pid;
    std::string version;
    Poco::Int64 generation;
    std::string plugins, consumers;
    Poco::Int64 interval, startedAt, lastBeat;

    explicit BoundBeat(const HostBeat& b)
        : id(b.id), instance(b.instance), hostname(lossyUtf8(b.hostname)), pid(b.pid),
          version(b.version), generation(b.pluginGeneration), plugins(jsonTextArray(b.plugins)),
          consumers(jsonTextArray(b.consumers)), interval(b.beatIntervalMs), startedAt(b.startedAt),
          lastBeat(b.lastBeat) {}
};

} // namespace

std::string jsonTextArray(const std::vector<std::string>& texts) {
    std::string out = "[";
    for (const auto& text : texts)
        out += (out.size() > 1 ? "," : "") + json::quote(lossyUtf8(text));
    return out + "]";
}

std::vector<std::string> textsOfJsonArray(const std::string& json) {
    std::vector<std::string> out;
    try {
        auto array = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Array::Ptr>();
        for (std::size_t i = 0; array && i < array->size(); ++i)
            out.push_back(array->get(i).convert<std::string>());
    } catch (const Poco::Exception&) {
        // A row written by hand or by a later version: shown without the list, not refused.
    }
    return out;
}

HeartbeatStore::HeartbeatStore(Dialect dialect, std::string table)
    : _dialect(dialect), _table(std::move(table)) {
    validateSqlIdentifier(_table, "host.table");
}

bool HeartbeatStore::insert(Poco::Data::Session& session, const HostBeat& beat) {
    BoundBeat b(beat);
    const std::string sql = "INSERT INTO " + _table + " (" + kColumns +
                            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)" +
                            (_dialect == Dialect::MySQL ? " ON DUPLICATE KEY UPDATE id = id"
                                                        : " ON CONFLICT (id) DO NOTHING");
    Poco::Data::Statement insert(session);
    insert << sql, use(b.id), use(b.instance), use(b.hostname), use(b.pid), use(b.version),
        use(b.generation), use(b.plugins), use(b.consumers), use(b.interval), use(b.startedAt),
        use(b.lastBeat);
    return insert.execute() == 1;
}

bool HeartbeatStore::beat(Poco::Data::Session& session, const HostBeat& beat) {
    return update(session, beat, beat.instance, false);
}

bool HeartbeatStore::takeOver(Poco::Data::Session& session, const HostBeat& beat,
                              const std::string& previousInstance) {
    return update(session, beat, previousInstance, true);
}

bool HeartbeatStore::update(Poco::Data::Session& session, const HostBeat& beat,
                            const std::string& ownerInstance, bool takeOver) {
    BoundBeat b(beat);
    std::string owner = ownerInstance;
    Poco::Data::Statement update(session);
    update << "UPDATE " + _table + " SET " +
                  (takeOver ? "instance = ?, hostname = ?, pid = ?, started_at = ?, " : "") +
                  "version = ?, plugin_generation = ?, plugins = ?, consumers = ?, "
                  "beat_interval_ms = ?, last_beat = ?, stopped_at = NULL WHERE id = ? AND "
                  "instance = ?";
    if (takeOver)
        update, use(b.instance), use(b.hostname), use(b.pid), use(b.startedAt);
    update, use(b.version), use(b.generation), use(b.plugins), use(b.consumers), use(b.interval),
        use(b.lastBeat), use(b.id), use(owner);
    return update.execute() > 0;
}

void HeartbeatStore::markStopped(Poco::Data::Session& session, const std::string& id,
                                 const std::string& instance, std::int64_t atMs) {
    std::string i = id;
    std::string owner = instance;
    Poco::Int64 at = atMs;
    session << "UPDATE " + _table +
                   " SET stopped_at = ?, last_beat = ? WHERE id = ? AND instance = ?",
        use(at), use(at), use(i), use(owner), now;
}

std::size_t HeartbeatStore::forgetOlderThan(Poco::Data::Session& session, std::int64_t cutoffMs) {
    Poco::Int64 cutoff = cutoffMs;
    Poco::Data::Statement remove(session);
    remove << "DELETE FROM " + _table + " WHERE last_beat < ?", use(cutoff);
    return remove.execute();
}

std::optional<HostBeat> HeartbeatStore::find(Poco::Data::Session& session, const std::string& id) {
    auto rows = select(session, " WHERE id = ?", id);
    if (rows.empty())
        return std::nullopt;
    return rows.front();
}

std::vector<HostBeat> HeartbeatStore::list(Poco::Data::Session& session) {
    return select(session, "", "");
}

std::vector<HostBeat> HeartbeatStore::select(Poco::Data::Session& session, const std::string& where,
                                             std::string key) {
    Poco::Data::Statement query(session);
    query << "SELECT " + std::string(kColumns) + " FROM " + _table + where + " ORDER BY id";
    if (!where.empty())
        query, use(key);
    query.execute();
    Poco::Data::RecordSet rows(query);
    std::vector<HostBeat> out;
    for (std::size_t i = 0; i < rows.rowCount(); ++i) {
        HostBeat b;
        b.id = rows.value(0, i).convert<std::string>();
        b.instance = rows.value(1, i).convert<std::string>();
        b.hostname = rows.value(2, i).convert<std::string>();
        b.pid = rows.value(3, i).convert<Poco::Int64>();
        b.version = rows.value(4, i).convert<std::string>();
        b.pluginGeneration = rows.value(5, i).convert<Poco::Int64>();
        b.plugins = textsOfJsonArray(rows.value(6, i).convert<std::string>());
        b.consumers = textsOfJsonArray(rows.value(7, i).convert<std::string>());
        b.beatIntervalMs = rows.value(8, i).convert<Poco::Int64>();
        b.startedAt = rows.value(9, i).convert<Poco::Int64>();
        b.lastBeat = rows.value(10, i).convert<Poco::Int64>();
        if (!rows.value(11, i).isEmpty())
            b.stoppedAt = rows.value(11, i).convert<Poco::Int64>();
        out.push_back(std::move(b));
    }
    return out;
}

} // namespace msgbus::core
