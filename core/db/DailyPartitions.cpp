#include "core/db/DailyPartitions.h"

#include <msgbus/Error.h>
#include <msgbus/internal/SqlIdentifier.h>

#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>

#include <chrono>
#include <cstdio>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

namespace {

std::string partitionLine(const std::string& name, std::int64_t lessThan) {
    return "PARTITION " + name + " VALUES LESS THAN (" + std::to_string(lessThan) + ")";
}

std::string futureLine() {
    return std::string("PARTITION ") + DailyPartitions::kFuture + " VALUES LESS THAN MAXVALUE";
}

/// One partition per day from the day that starts at fromDay through the day of lastDay.
std::vector<std::string> dayLines(std::int64_t fromDay, std::int64_t lastDay,
                                  std::vector<std::string>* names = nullptr) {
    std::vector<std::string> lines;
    for (std::int64_t day = fromDay; day <= lastDay; day += DailyPartitions::kDayMs) {
        lines.push_back(partitionLine(DailyPartitions::nameOf(day), day + DailyPartitions::kDayMs));
        if (names)
            names->push_back(DailyPartitions::nameOf(day));
    }
    return lines;
}

std::string joinedLines(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines)
        out += (out.empty() ? "\n  " : ",\n  ") + line;
    return out + "\n";
}

} // namespace

DailyPartitions::DailyPartitions(std::string table, std::string column)
    : _table(std::move(table)), _column(std::move(column)) {
    validateSqlIdentifier(_table, "table");
    validateSqlIdentifier(_column, "column");
}

std::int64_t DailyPartitions::dayStart(std::int64_t ms) {
    const std::int64_t rest = ms % kDayMs;
    return ms - (rest < 0 ? rest + kDayMs : rest);
}

std::string DailyPartitions::nameOf(std::int64_t dayStartMs) {
    using namespace std::chrono;
    const year_month_day date{floor<days>(sys_time<milliseconds>(milliseconds(dayStartMs)))};
    char text[16];
    std::snprintf(text, sizeof text, "p%04d%02u%02u", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
    return text;
}

std::string DailyPartitions::createClause(std::int64_t nowMs, int daysAhead) const {
    const std::int64_t today = dayStart(nowMs);
    auto lines = dayLines(today, today + daysAhead * kDayMs);
    lines.push_back(futureLine());
    return " PARTITION BY RANGE (" + _column + ") (" + joinedLines(lines) + ")";
}

std::vector<TablePartition> DailyPartitions::list(Poco::Data::Session& session) const {
    std::vector<Poco::Nullable<std::string>> names, methods, expressions, bounds;
    std::vector<Poco::Int64> rows;
    std::string table = _table;
    session << "SELECT PARTITION_NAME, PARTITION_METHOD, PARTITION_EXPRESSION, "
               "PARTITION_DESCRIPTION, CAST(COALESCE(TABLE_ROWS, 0) AS SIGNED) FROM "
               "information_schema.PARTITIONS "
               "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? "
               "ORDER BY PARTITION_ORDINAL_POSITION",
        use(table), into(names), into(methods), into(expressions), into(bounds), into(rows), now;
    std::vector<TablePartition> partitions;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i].isNull())
            continue; // the one row of a table that is not partitioned
        const std::string expression = expressions[i].isNull() ? "" : expressions[i].value();
        if (methods[i].isNull() || methods[i].value() != "RANGE" ||
            (expression != _column && expression != "`" + _column + "`"))
            throw Error("table " + _table + " is partitioned, but not by RANGE on " + _column +
                        " (found " + (methods[i].isNull() ? "?" : methods[i].value()) + " on " +
                        expression + "): msgbus cannot rotate its partitions");
        TablePartition p{names[i].value(), std::nullopt, rows[i]};
        if (!bounds[i].isNull() && bounds[i].value() != "MAXVALUE")
            p.lessThan = std::stoll(bounds[i].value());
        partitions.push_back(std::move(p));
    }
    return partitions;
}

std::vector<std::string> DailyPartitions::addThrough(Poco::Data::Session& session,
                                                     std::int64_t nowMs, int daysAhead) const {
    const auto partitions = list(session);
    if (partitions.empty())
        throw Error("table " + _table + " is not partitioned");
    const auto& last = partitions.back();
    if (last.lessThan || last.name != kFuture)
        throw Error("table " + _table + " does not end with the partition " + kFuture +
                    " (VALUES LESS THAN MAXVALUE) that msgbus splits to add days");
    // The first day to add starts where the last daily partition ends (after an outage of the
    // maintenance, the rows of the missed days wait in the future partition and move now).
    const std::int64_t lastDay = dayStart(nowMs) + daysAhead * kDayMs;
    std::int64_t from = dayStart(nowMs);
    if (partitions.size() >= 2 && partitions[partitions.size() - 2].lessThan)
        from = *partitions[partitions.size() - 2].lessThan;
    if (from > lastDay)
        return {};
    std::vector<std::string> added;
    auto lines = dayLines(from, lastDay, &added);
    lines.push_back(futureLine());
    session << "ALTER TABLE " + _table + " REORGANIZE PARTITION " + kFuture + " INTO (" +
                   joinedLines(lines) + ")",
        now;
    return added;
}

std::vector<TablePartition>
DailyPartitions::olderThan(const std::vector<TablePartition>& partitions, std::int64_t cutoffMs) {
    std::vector<TablePartition> old;
    for (const auto& p : partitions)
        if (p.lessThan && *p.lessThan <= cutoffMs)
            old.push_back(p);
    return old;
}

} // namespace msgbus::core
