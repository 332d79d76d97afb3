#include "core/outbox/RefusedRows.h"

#include "core/outbox/BatchOutcomes.h"
#include "core/outbox/OutboxRowEncoding.h"

#include <set>
#include <string>

namespace msgbus::core {

bool RefusedRows::isolate(const std::vector<OutboxRow>& rows,
                          const std::vector<std::size_t>& suspects,
                          std::vector<std::int64_t>& confirmed, std::vector<RowFailure>& failures) {
    auto plugins = _plugins.current();
    if (!plugins || !plugins->serializer || !plugins->routing)
        return false;
    bool settledAll = true;
    // Ordered lanes: once a key's row is refused, its later rows wait (unpublished) behind it.
    std::set<std::string> heldKeys;
    if (_ordered)
        for (const auto& f : failures)
            if (rows[f.index].partitionKey)
                heldKeys.insert(*rows[f.index].partitionKey);
    for (std::size_t index : suspects) {
        const auto& row = rows[index];
        if (_ordered && row.partitionKey && heldKeys.count(*row.partitionKey))
            continue;
        const std::size_t failuresBefore = failures.size();
        if (auto message =
                encodeRow(row, index, *plugins->serializer, *plugins->routing, failures)) {
            BatchOutcomes alone;
            sortAloneOutcome(
                row, index, _publisher.publishBatch({std::move(*message)}, _confirmTimeout).front(),
                alone);
            confirmed.insert(confirmed.end(), alone.confirmed.begin(), alone.confirmed.end());
            failures.insert(failures.end(), alone.failures.begin(), alone.failures.end());
            settledAll = settledAll && !alone.transient;
        }
        if (_ordered && row.partitionKey && failures.size() != failuresBefore)
            heldKeys.insert(*row.partitionKey);
    }
    return settledAll;
}

} // namespace msgbus::core
