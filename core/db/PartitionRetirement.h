#pragma once

#include "core/db/DailyPartitions.h"

#include <Poco/Data/Session.h>

#include <string>
#include <vector>

namespace msgbus::core {

/// Drops days of a DailyPartitions table without keeping the live table locked while the server
/// deletes their files. A plain DROP PARTITION holds the table's exclusive metadata lock for as
/// long as the file removal of a big partition takes (most of a second for millions of rows),
/// and every insert of the inbox waits behind it. Instead each day is swapped out first:
///
///   1. CREATE TABLE <t>_retired_<p> LIKE <t>; ALTER TABLE ... REMOVE PARTITIONING (empty: quick)
///   2. ALTER TABLE <t> EXCHANGE PARTITION <p> WITH TABLE <t>_retired_<p> (a rename, short lock)
///   3. ALTER TABLE <t> DROP PARTITION <p>, ... (all the now empty days in one short statement)
///   4. DROP TABLE <t>_retired_<p> (the slow file removal, on a table nobody uses)
///
/// A process that stops between the steps leaves a retired table (empty, or holding the rows of
/// a day that was already chosen for dropping) or an empty old partition. dropLeftovers removes
/// the former; the next drop of the same days finds the latter older than its cutoff again.
/// Callers serialise passes on one table (PartitionRotation's lock): a leftover is then never
/// a table another pass is still working on.
///
/// A day the catalogue counts no rows in, or whose <t>_retired_<p> would be longer than an
/// identifier may be, is dropped in place by step 3 (its lock is held longer, nothing else
/// changes).
class PartitionRetirement {
public:
    explicit PartitionRetirement(DailyPartitions table) : _table(std::move(table)) {}

    /// The retired table of partition on this table, or "" when the name would be too long.
    std::string retiredName(const std::string& partition) const;

    /// The retired tables of this table left by a pass that stopped midway.
    std::vector<std::string> leftovers(Poco::Data::Session& session) const;

    /// Drops the leftovers (their rows were older than the cutoff of the pass that left them);
    /// returns their names.
    std::vector<std::string> dropLeftovers(Poco::Data::Session& session) const;

    /// Drops the partitions (none the future one) and their rows by the steps above.
    void drop(Poco::Data::Session& session, const std::vector<TablePartition>& partitions) const;

private:
    std::string prefix() const;
    void swapOut(Poco::Data::Session& session, const std::string& partition) const;

    DailyPartitions _table;
};

} // namespace msgbus::core
