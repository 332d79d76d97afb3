#pragma once

namespace msgbus::core {

/// dedup.partitioning and dedup.partitions_ahead: whether the deduplication table and the
/// delivered table are range-partitioned by day (MariaDB/MySQL only), and how many days of
/// partitions are kept ready ahead of today.
struct Partitioning {
    bool daily = false;
    int daysAhead = 7;
    bool operator==(const Partitioning&) const = default;
};

} // namespace msgbus::core
