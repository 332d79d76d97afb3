#pragma once

#include "core/outbox/OutboxStore.h"
#include "core/outbox/RowFailure.h"

#include <cstdint>
#include <vector>

namespace msgbus::core {

/// Ordered lanes (outbox.ordered): once a key's row did not go out in this batch (it failed, or
/// its confirm is unknown), the key's later rows in the batch are settled neither way: they
/// stay, untouched, and go out again after it. They may have reached the broker already (the
/// consumer deduplicates the second copy), but the key's order of first deliveries is kept.
/// Rows without a key are never held. rows are in seq order; confirmed holds seqs, failures
/// row indexes. Pure.
void holdBackBehindFailures(const std::vector<OutboxRow>& rows,
                            std::vector<std::int64_t>& confirmed,
                            std::vector<RowFailure>& failures);

} // namespace msgbus::core
