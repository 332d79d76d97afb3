#pragma once

#include "core/db/Schema.h"

#include <Poco/Data/Session.h>

#include <string>
#include <vector>

namespace msgbus::core {

/// Whether the deduplication and delivered tables are partitioned as dedup.partitioning says
/// (MariaDB/MySQL), and the statements that convert a table made the other way.
///
/// msgbus does not convert a table itself: converting copies every row under a lock that stops
/// the inbox (or the relays) for as long as the copy takes, which is the operator's call, with
/// the hosts stopped.
class PartitionLayout {
public:
    explicit PartitionLayout(TableNames tables) : _tables(std::move(tables)) {}

    /// One line per existing table whose partitioning differs from the configuration, each
    /// naming the table and the SQL that converts it; empty when all agree (or do not exist).
    std::vector<std::string> mismatches(Poco::Data::Session& session) const;

    /// Throws msgbus::Error listing mismatches() when there is any: `msgbus setup` refuses to
    /// go on with a table the hosts would use wrongly.
    void require(Poco::Data::Session& session) const;

    /// The SQL that partitions the existing unpartitioned spec (dedup or delivered) by day.
    std::string conversionSql(const TableSpec& partitioned) const;

private:
    bool exists(Poco::Data::Session& session, const std::string& table) const;

    TableNames _tables;
};

} // namespace msgbus::core
