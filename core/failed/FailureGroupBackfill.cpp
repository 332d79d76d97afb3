#include "core/failed/FailureGroupBackfill.h"

#include "core/db/Database.h"
#include "core/db/Transaction.h"
#include "core/failed/FailureGroup.h"

#include <msgbus/internal/SqlIdentifier.h>

#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>

#include <vector>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

FailureGroupBackfill::FailureGroupBackfill(Database& database, std::string table)
    : _database(database), _table(std::move(table)) {
    validateSqlIdentifier(_table, "failed.table");
}

std::int64_t FailureGroupBackfill::run(std::int64_t maxRows,
                                       const std::function<void(std::int64_t)>& progress) {
    std::int64_t total = 0;
    while (total < maxRows) {
        auto session = _database.session();
        Transaction tx(*session, _database.dialect());
        std::vector<Poco::Int64> ids;
        std::vector<Poco::Nullable<std::string>> names;
        std::vector<std::string> sources, classes, messages;
        // No ORDER BY: every row read leaves the set, so the next batch reads the next rows
        // without a sort of all of them.
        *session << "SELECT id, message_name, source, error_class, error_message FROM " + _table +
                        " WHERE failure_group IS NULL LIMIT " + std::to_string(kBatch),
            into(ids), into(names), into(sources), into(classes), into(messages), now;
        if (ids.empty())
            return total;
        std::string cases, list;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            std::optional<std::string> name;
            if (!names[i].isNull())
                name = names[i].value();
            // Keys are hex digits and ids integers: both safe to write into the statement.
            const std::string id = std::to_string(ids[i]);
            cases += " WHEN " + id + " THEN '" +
                     FailureGroup::keyOf(name, sources[i], classes[i], messages[i]) + "'";
            list += (i ? "," : "") + id;
        }
        *session << "UPDATE " + _table + " SET failure_group = CASE id" + cases +
                        " END WHERE failure_group IS NULL AND id IN (" + list + ")",
            now;
        tx.commit();
        total += static_cast<std::int64_t>(ids.size());
        if (progress)
            progress(static_cast<std::int64_t>(ids.size()));
    }
    return total;
}

std::int64_t FailureGroupBackfill::pending() {
    auto session = _database.session();
    Poco::Int64 count = 0;
    *session << "SELECT COUNT(*) FROM " + _table + " WHERE failure_group IS NULL", into(count), now;
    return count;
}

} // namespace msgbus::core
