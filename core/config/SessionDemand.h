#pragma once

#include "core/config/Settings.h"

#include <string>

namespace msgbus::core {

/// The database sessions the workers of `msgbus run` hold at once: one per batch in flight of
/// each consumer (inbox.consumer.<c>.concurrency), one per relay (outbox.workers; one on
/// SQLite) and one for the retry worker when there are consumers. A relay takes a second
/// session to pipeline its next batch only when one is free, the host's heartbeat has a
/// connection of its own, and the /metrics gauges only use a session that is free: none of
/// them is counted.
///
/// Why it is checked: with fewer sessions than that, the lanes and relays wait for each other
/// in the pool (up to db.pool.wait_ms, then fail and back off): the configured concurrency
/// is never reached and a slow handler makes the others time out. Raising the pool behind
/// the operator's back would break the bound they sized against the server's
/// max_connections, so the host refuses to start instead and says what to change.
struct SessionDemand {
    int lanes = 0;   ///< the consumers' batches in flight together
    int relays = 0;  ///< relay threads
    int retry = 0;   ///< 1 when there are consumers (the retry worker)
    std::string why; ///< "inbox.consumer.orders.concurrency = 2, ..., outbox.workers = 2, ..."

    int total() const noexcept { return lanes + relays + retry; }

    static SessionDemand of(const Settings& settings);
};

/// Throws ConfigError naming db.pool.max, its value, the demand and the keys behind it when
/// the pool is smaller than SessionDemand::of(settings).
void requirePoolForHost(const Settings& settings);

} // namespace msgbus::core
