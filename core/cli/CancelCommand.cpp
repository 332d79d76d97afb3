// outbox:cancel: removes scheduled messages before their delivery time.
#include "core/cli/CliAudit.h"
#include "core/cli/CommandLine.h"
#include "core/cli/Commands.h"
#include "core/cli/Loaded.h"
#include "core/cli/TimeArgument.h"
#include "core/db/Database.h"
#include "core/failed/ActionAudit.h"
#include "core/outbox/OutboxStore.h"
#include "core/util/Clock.h"

#include <msgbus/internal/Json.h>

#include <iostream>
#include <optional>

namespace msgbus::core::cli {
namespace {

/// A row due within this much is refused like a due one: between reading the clock and the
/// DELETE, a relay may claim it (on SQLite, where a claim takes no row lock, it would then be
/// published and reported cancelled).
constexpr std::int64_t kCancelMarginMs = 1000;

/// Why a row was left in place, or empty when it was cancelled.
std::string refusalText(const CancelOutcome& outcome) {
    if (outcome.cancelled)
        return "";
    if (!outcome.availableAt)
        return "not in the outbox (published already, cancelled, or never written)";
    if (outcome.attempts > 0)
        return "a relay tried it already (" + std::to_string(outcome.attempts) +
               " attempt(s)); it goes to the failed table after outbox.max_attempts";
    return "due at " + isoMillisText(*outcome.availableAt) + ": a relay may be publishing it";
}

/// The audit trail's filter: the ids named.
std::string idsFilter(const std::vector<Id>& ids) {
    std::string filter = "{\"ids\":[";
    for (std::size_t i = 0; i < ids.size(); ++i)
        filter += (i ? "," : "") + json::quote(ids[i].toString());
    return filter + "]}";
}

} // namespace

int outboxCancel(const std::vector<std::string>& args) {
    CommandLine line(args, {"config"}, {});
    if (line.positional().empty())
        throw UsageError("outbox:cancel needs one or more message ids");
    std::vector<Id> ids;
    for (const auto& text : line.positional()) {
        if (!Id::isValid(text))
            throw UsageError("'" + text +
                             "' is not a message id (a UUID, a ULID or 32 hex digits)");
        ids.push_back(Id::parse(text));
    }
    auto loaded = loadSettings(line);
    Database database(loaded.settings.db);
    auto session = database.session();
    OutboxStore store(database.dialect(), loaded.settings.outbox.table);
    ActionAudit audit(database.dialect(), loaded.settings.failedTable);
    const auto auditId = auditBegin(audit, *session, "cancel", idsFilter(ids), ids.size());
    std::size_t cancelled = 0;
    for (const auto& id : ids) {
        // One statement each, committed on its own: a relay waiting on one row's lock is not
        // kept waiting for the others.
        const std::int64_t now = nowMillis() + kCancelMarginMs;
        const auto outcome = store.cancelScheduled(*session, id, now);
        if (outcome.cancelled)
            ++cancelled;
        else
            std::cerr << "refused " << id.toString() << ": " << refusalText(outcome) << "\n";
    }
    auditFinish(audit, *session, auditId, cancelled, ids.size() - cancelled);
    std::cout << "cancelled " << cancelled << " message(s)";
    if (cancelled < ids.size())
        std::cout << "; refused " << ids.size() - cancelled;
    std::cout << "\n";
    return cancelled == ids.size() ? 0 : 1;
}

} // namespace msgbus::core::cli
