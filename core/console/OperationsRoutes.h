#pragma once

#include "core/console/ApiRoutes.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace msgbus::core {
class Database;
struct Settings;
} // namespace msgbus::core

namespace msgbus::core::console {

/// One operator action, for the audit trail.
struct AuditedAction {
    std::string who;        ///< the console user, or "console" without authentication
    std::string action;     ///< "replay"
    std::string filterJson; ///< what was asked for, as the request gave it ({"ids":[...]} ...)
    std::int64_t count = 0; ///< rows the action was about
    std::int64_t done = 0;
    std::int64_t refused = 0;
};

/// Writes an action to the audit trail (the console's actions table) and returns its id.
/// Throws when it cannot: the caller reports that the action was done but not recorded.
using ActionAudit = std::function<std::int64_t(const AuditedAction&)>;

/// What the outbox, queues and hosts routes need. database and settings are borrowed: they
/// must outlive the routes.
struct OperationsContext {
    Database& database;       ///< the pool the console's requests take sessions from
    const Settings& settings; ///< the loaded properties: tables, queues, management API
    /// Where replays are recorded; empty: they are logged only (until the audit trail is wired).
    ActionAudit audit{};
    /// The most deliveries one replay may write (console.max_action_rows).
    std::int64_t maxActionRows = 10000;
    /// How often the queue history is sampled (the last hour of samples is kept).
    std::chrono::milliseconds queueSampleInterval{10000};
};

/// Adds the console's operations routes:
///   GET  /api/outbox/summary     pending rows per message name, failing ones, the last error
///   GET  /api/outbox/delivered   the delivered trail (outbox.keep_delivered), newest first
///   POST /api/outbox/replay      replays deliveries (outbox:replay's bound window)
///   GET  /api/queues             each configured queue from RabbitMQ's management API, with
///                                the last hour of samples
///   GET  /api/hosts              the hosts' heartbeat rows: up, late or gone, their plugins
/// The list endpoints take format=json|csv. Starts the queue sampler (a thread, when
/// amqp.management.url is set), which the routes own: it stops when the last route is
/// destroyed. Thread-safe: the routes may run on several server threads at once.
void addOperationsRoutes(ApiRoutes& routes, const OperationsContext& context);

} // namespace msgbus::core::console
