#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace msgbus::core {

class Database;

/// Computes the failure_group of the failed table's rows that have none: rows stored before the
/// column existed (`msgbus setup` adds it to an older table), or by a host that started before
/// the column was added. Batches of kBatch rows, one transaction each, so hosts writing to the
/// table meanwhile are never held up for long. Safe to run while hosts run and more than once:
/// a batch only fills rows still without a group.
/// Threading: any thread, its own pooled sessions. Failure: throws what the database throws
/// (the batches done so far stay done).
class FailureGroupBackfill {
public:
    static constexpr int kBatch = 1000;

    FailureGroupBackfill(Database& database, std::string table);

    /// Fills rows without a group, batch after batch until none is left or maxRows are done;
    /// progress (when given) gets the rows done per batch. Returns how many rows it filled.
    std::int64_t run(std::int64_t maxRows, const std::function<void(std::int64_t)>& progress = {});

    /// How many rows have no group (an index lookup).
    std::int64_t pending();

private:
    Database& _database;
    std::string _table;
};

} // namespace msgbus::core
