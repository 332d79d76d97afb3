#include "core/host/PartitionMaintainer.h"

#include "core/db/PartitionRotation.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"

#include <Poco/Logger.h>

namespace msgbus::core {

void PartitionMaintainer::run(StopToken& stop) {
    while (!stop.stopRequested()) {
        const std::chrono::minutes wait = runOnce() ? kInterval : kRetryAfter;
        if (stop.sleepFor(wait))
            return;
    }
}

bool PartitionMaintainer::runOnce() {
    auto& log = Poco::Logger::get("msgbus.maintenance");
    try {
        const auto pass = PartitionRotation(_database, _tables, _retention)
                              .run(nowMillis(), std::chrono::seconds(0), true);
        if (!pass.ran) {
            log.debug("partitions: another host holds the maintenance lock; skipped");
            return true;
        }
        std::string added;
        for (const auto& name : pass.added)
            added += (added.empty() ? "" : ", ") + name;
        if (!added.empty())
            log.information("partitions: added %s", added);
        for (const auto& name : pass.droppedDedup.leftovers)
            log.information("partitions: dropped %s, left by an interrupted partition drop", name);
        for (const auto& name : pass.leftovers)
            log.information("partitions: dropped %s, left by an interrupted partition drop", name);
        for (const auto& p : pass.droppedDedup.partitions)
            log.information("partitions: dropped %s.%s (about %s rows), older than dedup.retention",
                            _tables.dedup, p.name, std::to_string(p.rows));
        return true;
    } catch (const std::exception& e) {
        log.warning("partitions: maintenance failed, again in %s min: %s",
                    std::to_string(kRetryAfter.count()), errorText(e));
        return false;
    }
}

} // namespace msgbus::core
