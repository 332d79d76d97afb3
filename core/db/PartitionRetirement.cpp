#include "core/db/PartitionRetirement.h"

#include <msgbus/internal/SqlIdentifier.h>

#include <Poco/Data/Statement.h>

#include <algorithm>
#include <cctype>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

namespace {

/// "p" and eight digits: the name DailyPartitions gives a day.
bool isDayName(const std::string& name) {
    return name.size() == 9 && name[0] == 'p' &&
           std::all_of(name.begin() + 1, name.end(),
                       [](unsigned char c) { return std::isdigit(c) != 0; });
}

} // namespace

std::string PartitionRetirement::prefix() const {
    return _table.table() + "_retired_";
}

std::string PartitionRetirement::retiredName(const std::string& partition) const {
    const std::string name = prefix() + partition;
    return isValidSqlIdentifier(name) ? name : "";
}

std::vector<std::string> PartitionRetirement::leftovers(Poco::Data::Session& session) const {
    std::vector<std::string> names;
    std::string start = prefix();
    session << "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
               "DATABASE() AND LEFT(TABLE_NAME, CHAR_LENGTH(?)) = ? ORDER BY TABLE_NAME",
        use(start), use(start), into(names), now;
    // Only the names this class gives: a user's table that merely starts alike is not ours.
    std::erase_if(names, [&](const std::string& name) {
        return name.size() <= start.size() || name.compare(0, start.size(), start) != 0 ||
               !isDayName(name.substr(start.size()));
    });
    return names;
}

std::vector<std::string> PartitionRetirement::dropLeftovers(Poco::Data::Session& session) const {
    auto names = leftovers(session);
    for (const auto& name : names)
        session << "DROP TABLE IF EXISTS " + name, now;
    return names;
}

void PartitionRetirement::swapOut(Poco::Data::Session& session,
                                  const std::string& partition) const {
    const std::string retired = retiredName(partition);
    // A leftover of the same day from an earlier pass holds nothing newer than this one will.
    session << "DROP TABLE IF EXISTS " + retired, now;
    session << "CREATE TABLE " + retired + " LIKE " + _table.table(), now;
    session << "ALTER TABLE " + retired + " REMOVE PARTITIONING", now;
    session << "ALTER TABLE " + _table.table() + " EXCHANGE PARTITION " + partition +
                   " WITH TABLE " + retired,
        now;
}

void PartitionRetirement::drop(Poco::Data::Session& session,
                               const std::vector<TablePartition>& partitions) const {
    if (partitions.empty())
        return;
    std::string names;
    std::vector<std::string> retired;
    for (const auto& p : partitions) {
        names += (names.empty() ? "" : ", ") + p.name;
        // Each swap takes the live table's lock once more: not worth it for an empty day (an
        // estimate of 0 that is wrong only makes that day's drop hold the lock longer).
        if (p.rows > 0 && !retiredName(p.name).empty()) {
            swapOut(session, p.name);
            retired.push_back(retiredName(p.name));
        }
    }
    // One statement: the table's metadata lock is taken once for all the days.
    session << "ALTER TABLE " + _table.table() + " DROP PARTITION " + names, now;
    for (const auto& name : retired)
        session << "DROP TABLE " + name, now;
}

} // namespace msgbus::core
