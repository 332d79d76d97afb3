#include "core/inbox/UnfinishedRuns.h"

#include "core/db/Schema.h"
#include "core/util/Clock.h"

#include <msgbus/internal/SqlIdentifier.h>

#include <Poco/Data/Statement.h>
#include <Poco/DigestEngine.h>
#include <Poco/MD5Engine.h>

#include <set>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

UnfinishedRuns::UnfinishedRuns(Dialect dialect, const std::string& dedupTable, std::string consumer)
    : _dialect(dialect), _table(runsTableOf(dedupTable)), _consumer(std::move(consumer)) {
    validateSqlIdentifier(_table, "dedup.table");
}

std::string UnfinishedRuns::keyOf(const std::string& identity) {
    Poco::MD5Engine md5;
    md5.update(identity);
    return Poco::DigestEngine::digestToHex(md5.digest());
}

std::string UnfinishedRuns::keyList(const std::vector<std::string>& keys) const {
    // Distinct keys: one message twice in a batch is one run.
    std::set<std::string> distinct(keys.begin(), keys.end());
    std::string list;
    for (const auto& key : distinct)
        list += (list.empty() ? "'" : ",'") + key + "'";
    return list;
}

std::map<std::string, int> UnfinishedRuns::count(Poco::Data::Session& session,
                                                 const std::vector<std::string>& keys) {
    std::map<std::string, int> runs;
    if (keys.empty())
        return runs;
    std::vector<std::string> found;
    std::vector<Poco::Int64> counts;
    session << "SELECT run_key, runs FROM " + _table + " WHERE consumer = '" + _consumer +
                   "' AND run_key IN (" + keyList(keys) + ")",
        into(found), into(counts), now;
    for (std::size_t i = 0; i < found.size(); ++i)
        runs[found[i]] = static_cast<int>(counts[i]);
    return runs;
}

void UnfinishedRuns::begin(Poco::Data::Session& session, const std::vector<std::string>& keys) {
    if (keys.empty())
        return;
    const std::string at = std::to_string(nowMillis());
    std::set<std::string> distinct(keys.begin(), keys.end());
    std::string sql = "INSERT INTO " + _table + " (run_key, consumer, runs, last_run_at) VALUES ";
    bool first = true;
    for (const auto& key : distinct) {
        sql += (first ? "('" : ",('") + key + "','" + _consumer + "',1," + at + ")";
        first = false;
    }
    sql += _dialect == Dialect::MySQL
               ? " ON DUPLICATE KEY UPDATE runs = runs + 1, last_run_at = VALUES(last_run_at)"
               : " ON CONFLICT (run_key, consumer) DO UPDATE SET runs = runs + 1, last_run_at = "
                 "excluded.last_run_at";
    session << sql, now;
}

void UnfinishedRuns::finish(Poco::Data::Session& session, const std::vector<std::string>& keys) {
    if (keys.empty())
        return;
    session << "DELETE FROM " + _table + " WHERE consumer = '" + _consumer + "' AND run_key IN (" +
                   keyList(keys) + ")",
        now;
}

void UnfinishedRuns::abandon(Poco::Data::Session& session, const std::vector<std::string>& keys) {
    if (keys.empty())
        return;
    const std::string where =
        " WHERE consumer = '" + _consumer + "' AND run_key IN (" + keyList(keys) + ")";
    session << "UPDATE " + _table + " SET runs = runs - 1" + where, now;
    session << "DELETE FROM " + _table + where + " AND runs <= 0", now;
}

std::size_t UnfinishedRuns::removeOlderThan(Poco::Data::Session& session, std::int64_t cutoffMs) {
    Poco::Data::Statement remove(session);
    remove << "DELETE FROM " + _table + " WHERE last_run_at < " + std::to_string(cutoffMs);
    return remove.execute();
}

} // namespace msgbus::core
