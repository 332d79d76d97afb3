#pragma once

#include "core/db/Dialect.h"

#include <Poco/Data/Session.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace msgbus::core {

/// One operator action as the audit table keeps it.
struct AuditEntry {
    std::int64_t id = 0;
    std::int64_t at = 0;    ///< when it began, ms since the epoch
    std::string who;        ///< the console user, "console" (loopback, no login), "cli:<os user>"
    std::string origin;     ///< "console" or "cli"
    std::string action;     ///< "retry", "remove", "replay", "cancel" (outbox:cancel)
    std::string filterJson; ///< what it was asked to act on (ids, group, filter), JSON
    std::int64_t count = 0; ///< rows it was asked to act on
    std::int64_t done = 0;
    std::int64_t refused = 0;
};

/// The audit trail of operators' actions (auditTableOf(failed.table)): every retry, removal,
/// replay and cancellation, from the console, the `failed:*` commands and outbox:cancel. An action
/// is written when it begins (so one cut short by a crash still shows what was asked) and completed
/// with its outcome when it ends, each write committed on its own. Runs on the caller's session
/// (outside a transaction of the action's rows). Not thread-safe (one per action); throws what the
/// database throws.
class ActionAudit {
public:
    ActionAudit(Dialect dialect, const std::string& failedTable);

    /// Writes entry (its id, done and refused ignored) and returns its id.
    std::int64_t begin(Poco::Data::Session& session, const AuditEntry& entry);
    void finish(Poco::Data::Session& session, std::int64_t id, std::int64_t done,
                std::int64_t refused);

    /// Newest first: up to limit entries with an id below before (every one when nullopt).
    std::vector<AuditEntry> list(Poco::Data::Session& session, std::optional<std::int64_t> before,
                                 int limit);

    const std::string& table() const noexcept { return _table; }

    /// "cli:<the OS user running this process>", for the `failed:*` commands.
    static std::string cliUser();

private:
    Dialect _dialect;
    std::string _table;
};

} // namespace msgbus::core
