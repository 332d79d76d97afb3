#pragma once

#include <Poco/Data/Session.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace msgbus::core {

/// One partition of a table partitioned by day, as the database's catalogue reports it.
struct TablePartition {
    std::string name;
    /// Every row of it has its time below this (ms since the epoch); nothing: MAXVALUE (the
    /// future partition that catches rows past the last day).
    std::optional<std::int64_t> lessThan;
    /// The catalogue's estimate (InnoDB counts approximately).
    std::int64_t rows = 0;
};

/// A MariaDB/MySQL table RANGE-partitioned on an epoch-ms column, one partition per UTC day
/// ("p20261207" holds the rows below the start of 2026-12-08), and a last partition "pfuture"
/// (VALUES LESS THAN MAXVALUE) so that an insert never fails for want of a partition when the
/// days ahead ran out: the maintenance that creates them may be late, the inbox must not stop.
///
/// Every call is DDL or a catalogue read on the caller's session, outside any transaction (DDL
/// commits). Several processes changing the same table's partitions are serialised by the
/// caller (PartitionRotation's lock); a statement here fails when it raced another one.
class DailyPartitions {
public:
    static constexpr std::int64_t kDayMs = 86400000;
    static constexpr const char* kFuture = "pfuture";

    /// table and column: validated identifiers.
    DailyPartitions(std::string table, std::string column);

    /// The start of the UTC day that holds ms.
    static std::int64_t dayStart(std::int64_t ms);
    /// "p" and the UTC date (YYYYMMDD) of the day that starts at dayStartMs.
    static std::string nameOf(std::int64_t dayStartMs);

    /// The PARTITION BY clause of CREATE TABLE: today's partition (which also takes any older
    /// row), one per day through today + daysAhead, and the future partition.
    std::string createClause(std::int64_t nowMs, int daysAhead) const;

    /// The table's partitions in order; empty when it is not partitioned (or does not exist).
    /// Throws msgbus::Error when it is partitioned otherwise than by RANGE on the column.
    std::vector<TablePartition> list(Poco::Data::Session& session) const;

    /// Splits the future partition so that daily partitions reach through the day of nowMs +
    /// daysAhead (rows already in the future partition move to their day). Returns the names
    /// added (none when they were there).
    std::vector<std::string> addThrough(Poco::Data::Session& session, std::int64_t nowMs,
                                        int daysAhead) const;

    /// The listed partitions whose rows are all older than cutoffMs (their bound at or below
    /// it): the ones a cleanup to cutoffMs drops. Never the future partition.
    static std::vector<TablePartition> olderThan(const std::vector<TablePartition>& partitions,
                                                 std::int64_t cutoffMs);

    const std::string& table() const noexcept { return _table; }
    const std::string& column() const noexcept { return _column; }

private:
    std::string _table;
    std::string _column;
};

} // namespace msgbus::core
