#include "core/outbox/OrderedHoldBack.h"

#include <set>
#include <string>

namespace msgbus::core {

void holdBackBehindFailures(const std::vector<OutboxRow>& rows,
                            std::vector<std::int64_t>& confirmed,
                            std::vector<RowFailure>& failures) {
    const std::set<std::int64_t> confirmedSeqs(confirmed.begin(), confirmed.end());
    std::set<std::string> held;
    std::vector<std::int64_t> keptConfirmed;
    std::vector<RowFailure> keptFailures;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& row = rows[i];
        if (row.partitionKey && held.count(*row.partitionKey))
            continue;
        if (confirmedSeqs.count(row.seq)) {
            keptConfirmed.push_back(row.seq);
            continue;
        }
        if (row.partitionKey)
            held.insert(*row.partitionKey);
        for (const auto& failure : failures)
            if (failure.index == i)
                keptFailures.push_back(failure);
    }
    confirmed = std::move(keptConfirmed);
    failures = std::move(keptFailures);
}

} // namespace msgbus::core
