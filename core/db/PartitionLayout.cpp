#include "core/db/PartitionLayout.h"

#include "core/db/DailyPartitions.h"

#include <msgbus/Error.h>

#include <Poco/Data/Statement.h>

#include <chrono>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

namespace {

std::int64_t wallClockMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names)
        out += (out.empty() ? "" : ", ") + name;
    return out;
}

} // namespace

bool PartitionLayout::exists(Poco::Data::Session& session, const std::string& table) const {
    std::string name = table;
    Poco::Int64 found = 0;
    session << "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
               "AND TABLE_NAME = ?",
        use(name), into(found), now;
    return found > 0;
}

std::string PartitionLayout::conversionSql(const TableSpec& partitioned) const {
    std::string sql = "ALTER TABLE " + partitioned.name;
    if (partitioned.role == "delivered")
        // The id keeps AUTO_INCREMENT: it stays the first column of the new key.
        sql += " MODIFY id BIGINT NOT NULL AUTO_INCREMENT,";
    sql += " DROP PRIMARY KEY, ADD PRIMARY KEY (" + joined(partitioned.primaryKey) + ")";
    return sql + DailyPartitions(partitioned.name, partitioned.partitionColumn)
                     .createClause(wallClockMs(), _tables.partitioning.daysAhead);
}

std::vector<std::string> PartitionLayout::mismatches(Poco::Data::Session& session) const {
    TableNames daily = _tables;
    daily.partitioning.daily = true;
    std::vector<std::string> problems;
    for (const auto& spec : Schema::tables(daily)) {
        if (spec.partitionColumn.empty() || !exists(session, spec.name))
            continue;
        const bool partitioned =
            !DailyPartitions(spec.name, spec.partitionColumn).list(session).empty();
        if (_tables.partitioning.daily && !partitioned)
            problems.push_back("table " + spec.name + " (the " + spec.role +
                               " table) exists unpartitioned but dedup.partitioning = daily; "
                               "stop the hosts and convert it (this copies the table) with: " +
                               conversionSql(spec));
        else if (!_tables.partitioning.daily && partitioned && spec.role == "dedup")
            // Its key holds processed_at: without the look into the other days that daily
            // turns on, a duplicate recorded on another day would not be seen.
            problems.push_back("table " + spec.name +
                               " (the dedup table) is partitioned but dedup.partitioning = none, "
                               "so a duplicate recorded on another day would run its handlers "
                               "again: set dedup.partitioning = daily, or stop the hosts and "
                               "run ALTER TABLE " +
                               spec.name + " REMOVE PARTITIONING; ALTER TABLE " + spec.name +
                               " DROP PRIMARY KEY, ADD PRIMARY KEY (message_id, consumer)");
    }
    return problems;
}

void PartitionLayout::require(Poco::Data::Session& session) const {
    const auto problems = mismatches(session);
    if (problems.empty())
        return;
    std::string text;
    for (const auto& problem : problems)
        text += (text.empty() ? "" : "\n") + problem;
    throw Error(text);
}

} // namespace msgbus::core
