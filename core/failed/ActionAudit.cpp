#include "core/failed/ActionAudit.h"

#include "core/db/Schema.h"
#include "core/util/Utf8Text.h"

#include <msgbus/internal/SqlIdentifier.h>

#include <Poco/Data/Statement.h>

#include <cstdlib>
#include <pwd.h>
#include <unistd.h>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

namespace {

// The filter column is TEXT (65,535 bytes): a selection of many ids is kept cut, and says so.
constexpr std::size_t kFilterColumn = 60000;
constexpr std::size_t kShortColumn = 255;

} // namespace

ActionAudit::ActionAudit(Dialect dialect, const std::string& failedTable)
    : _dialect(dialect), _table(auditTableOf(failedTable)) {
    validateSqlIdentifier(_table, "failed.table");
}

std::int64_t ActionAudit::begin(Poco::Data::Session& session, const AuditEntry& e) {
    std::string who = storableText(e.who, kShortColumn);
    std::string origin = storableText(e.origin, 16), action = storableText(e.action, 32);
    std::string filter = storableText(e.filterJson, kFilterColumn);
    Poco::Int64 at = e.at, count = e.count;
    session << "INSERT INTO " + _table +
                   " (acted_at, who, origin, action, filter_json, row_count, done, refused) "
                   "VALUES (?, ?, ?, ?, ?, ?, 0, 0)",
        use(at), use(who), use(origin), use(action), use(filter), use(count), now;
    Poco::Int64 id = 0;
    session << (_dialect == Dialect::MySQL ? "SELECT LAST_INSERT_ID()"
                                           : "SELECT last_insert_rowid()"),
        into(id), now;
    return id;
}

void ActionAudit::finish(Poco::Data::Session& session, std::int64_t id, std::int64_t done,
                         std::int64_t refused) {
    Poco::Int64 d = done, r = refused, key = id;
    session << "UPDATE " + _table + " SET done = ?, refused = ? WHERE id = ?", use(d), use(r),
        use(key), now;
}

std::vector<AuditEntry> ActionAudit::list(Poco::Data::Session& session,
                                          std::optional<std::int64_t> before, int limit) {
    std::vector<Poco::Int64> ids, ats, counts, dones, refuseds;
    std::vector<std::string> whos, origins, actions, filters;
    session << "SELECT id, acted_at, who, origin, action, filter_json, row_count, done, refused "
               "FROM " +
                   _table + (before ? " WHERE id < " + std::to_string(*before) : "") +
                   " ORDER BY id DESC LIMIT " + std::to_string(limit),
        into(ids), into(ats), into(whos), into(origins), into(actions), into(filters), into(counts),
        into(dones), into(refuseds), now;
    std::vector<AuditEntry> out;
    for (std::size_t i = 0; i < ids.size(); ++i)
        out.push_back({ids[i], ats[i], whos[i], origins[i], actions[i], filters[i], counts[i],
                       dones[i], refuseds[i]});
    return out;
}

std::string ActionAudit::cliUser() {
    std::string user;
    if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_name)
        user = pw->pw_name;
    else
        user = "uid " + std::to_string(::getuid());
    // Under sudo the account is root; who ran it is the one an auditor asks for.
    if (const char* by = std::getenv("SUDO_USER"); by && *by && user != by)
        user += " (sudo by " + std::string(by) + ")";
    return "cli:" + user;
}

} // namespace msgbus::core
