#pragma once

#include "core/db/Database.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace msgbus::core {

/// How long an idle relay may sleep before it looks at the outbox again: the poll interval, or
/// less when a scheduled row (a future available_at) falls due before the interval is over, so
/// that a scheduled message leaves at its time and not up to a whole poll interval late.
///
/// Costs one indexed read of the outbox's (available_at, seq) index per idle cycle, and none
/// when the interval is short enough to meet the lateness target on its own (the default). A
/// database failure here is no failure of the relay: it sleeps the interval and the next claim
/// meets the outage. One per relay thread; not thread-safe.
class DueTimeWatch {
public:
    /// Intervals up to this are slept whole: a due row waits no longer than that anyway.
    static constexpr std::chrono::milliseconds kPrecision{100};

    DueTimeWatch(Database& database, std::string outboxTable);

    /// The sleep before the next poll: interval, shortened to end when the earliest future row
    /// falls due.
    std::chrono::milliseconds sleepBefore(std::chrono::milliseconds interval);

    /// The earliest available_at later than nowMs (ms since the epoch), if any row has one.
    std::optional<std::int64_t> nextDue(std::int64_t nowMs);

private:
    Database& _database;
    std::string _table;
    std::string _sql;
};

} // namespace msgbus::core
