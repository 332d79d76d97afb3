#include "core/config/SessionDemand.h"

#include "core/config/ConfigError.h"

#include <algorithm>

namespace msgbus::core {

SessionDemand SessionDemand::of(const Settings& settings) {
    SessionDemand demand;
    for (const auto& consumer : settings.inbox.consumers) {
        const int lanes = std::max(1, consumer.concurrency);
        demand.lanes += lanes;
        demand.why +=
            "inbox.consumer." + consumer.name + ".concurrency = " + std::to_string(lanes) + ", ";
    }
    // SQLite has one writer: the host runs one relay whatever outbox.workers says.
    demand.relays = settings.db.connector == "SQLite" ? std::min(1, settings.outbox.workers)
                                                      : settings.outbox.workers;
    demand.why += "outbox.workers = " + std::to_string(settings.outbox.workers);
    if (demand.relays != settings.outbox.workers)
        demand.why += " (1 relay on SQLite)";
    demand.retry = settings.inbox.consumers.empty() ? 0 : 1;
    if (demand.retry)
        demand.why += ", 1 retry worker";
    return demand;
}

void requirePoolForHost(const Settings& settings) {
    const SessionDemand demand = SessionDemand::of(settings);
    if (settings.db.poolMax >= demand.total())
        return;
    throw ConfigError("db.pool.max",
                      std::to_string(settings.db.poolMax) + " sessions are fewer than the " +
                          std::to_string(demand.total()) + " the host's workers hold at once (" +
                          demand.why + "): set db.pool.max to " + std::to_string(demand.total()) +
                          " or more, or lower those");
}

} // namespace msgbus::core
