#pragma once

#include "core/db/Schema.h"

#include <string>

namespace msgbus::core {

/// The open sequences of ordered consumers that go with a deduplication table:
/// "<dedup.table>_sequences", one row per (consumer, partition key) whose messages wait behind
/// a head message that ended in the retry or failed table.
inline std::string sequencesTableOf(const std::string& dedupTable) {
    return dedupTable + "_sequences";
}

/// The messages parked behind those heads, in arrival order: "<dedup.table>_parked".
inline std::string parkedTableOf(const std::string& dedupTable) {
    return dedupTable + "_parked";
}

/// The two tables of per-key parking (inbox.consumer.<c>.ordered), as `msgbus setup` creates
/// them and `msgbus check` checks them. Named after the deduplication table because a parked
/// message's dedup row is written when it is parked: the three go together.
TableSpec sequencesTable(const TableNames& t);
TableSpec parkedTable(const TableNames& t);

} // namespace msgbus::core
