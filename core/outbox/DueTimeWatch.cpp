#include "core/outbox/DueTimeWatch.h"

#include "core/util/Clock.h"

#include <msgbus/internal/SqlIdentifier.h>

#include <Poco/Data/Statement.h>

#include <algorithm>
#include <vector>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

DueTimeWatch::DueTimeWatch(Database& database, std::string outboxTable)
    : _database(database), _table(std::move(outboxTable)) {
    validateSqlIdentifier(_table, "outbox.table");
    // ORDER BY ... LIMIT 1 rather than MIN(): both engines answer it with one step into the
    // index (SQLite's min() shortcut does not apply under a WHERE clause).
    _sql =
        "SELECT available_at FROM " + _table +
        (database.dialect() == Dialect::MySQL ? " FORCE INDEX (ix_" + _table + "_available)" : "") +
        " WHERE available_at > ? ORDER BY available_at LIMIT 1";
}

std::optional<std::int64_t> DueTimeWatch::nextDue(std::int64_t nowMs) {
    auto session = _database.session();
    Poco::Int64 now = nowMs;
    std::vector<Poco::Int64> next;
    *session << _sql, use(now), into(next), Poco::Data::Keywords::now;
    if (next.empty())
        return std::nullopt;
    return next.front();
}

std::chrono::milliseconds DueTimeWatch::sleepBefore(std::chrono::milliseconds interval) {
    if (interval <= kPrecision)
        return interval;
    try {
        const std::int64_t now = nowMillis();
        const auto next = nextDue(now);
        if (!next)
            return interval;
        // Awake just as the row turns due (due means available_at <= the claim's now).
        return std::clamp(std::chrono::milliseconds(*next - now + 1), std::chrono::milliseconds(1),
                          interval);
    } catch (...) {
        return interval;
    }
}

} // namespace msgbus::core
