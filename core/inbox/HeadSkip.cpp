#include "core/inbox/HeadSkip.h"

#include "core/db/Transaction.h"
#include "core/inbox/SequenceStore.h"

#include <Poco/Data/DataException.h>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

namespace {

/// Moves the row to 'failed' (kept for inspection, never retried on its own) unless a live
/// host is running it: a retry that ran after the parked messages would break the key's order.
bool keepAsFailed(Poco::Data::Session& session, const std::string& table, std::int64_t id,
                  std::int64_t nowMs) {
    Poco::Int64 now = nowMs;
    Poco::Data::Statement update(session);
    update << "UPDATE " + table +
                  " SET queue_name = 'failed', failed_at = COALESCE(failed_at, ?), "
                  "available_at = ? WHERE id = " +
                  std::to_string(id) + " AND NOT (queue_name = 'running' AND available_at > " +
                  std::to_string(nowMs) + ")",
        use(now), use(now);
    return update.execute() > 0;
}

} // namespace

HeadSkip::HeadSkip(const Settings& settings, Dialect dialect)
    : _settings(settings), _dialect(dialect) {
    for (const auto& c : settings.inbox.consumers)
        _ordered = _ordered || c.ordered;
}

HeadSkip::Outcome HeadSkip::skip(Poco::Data::Session& session, std::int64_t id,
                                 std::int64_t nowMs) const {
    Transaction tx(session, _dialect);
    const auto row = FailedStore(_dialect, _settings.failedTable).find(session, id);
    if (!row)
        return Outcome::NoSuchRow;
    if (!keepAsFailed(session, _settings.failedTable, id, nowMs))
        return Outcome::Running;
    if (!releaseHead(session, *row))
        return Outcome::NotAHead; // rolled back: the row stays as it was
    tx.commit();
    return Outcome::Skipped;
}

bool HeadSkip::releaseHead(Poco::Data::Session& session, const FailedRecord& row) const {
    if (!row.messageId || !sequencesShown(session))
        return false;
    return SequenceStore(_dialect, _settings.dedupTable)
        .resolveRow(session, row.source, *row.messageId, consumers());
}

std::optional<std::string> HeadSkip::keyHeadedBy(Poco::Data::Session& session,
                                                 const FailedRecord& row) const {
    if (!row.messageId || !sequencesShown(session))
        return std::nullopt;
    return SequenceStore(_dialect, _settings.dedupTable)
        .keyHeadedBy(session, row.source, *row.messageId, consumers());
}

std::vector<std::string> HeadSkip::consumers() const {
    // Every configured consumer: a head left from when its consumer was ordered counts the
    // same way.
    std::vector<std::string> names;
    for (const auto& c : _settings.inbox.consumers)
        names.push_back(c.name);
    return names;
}

bool HeadSkip::sequencesShown(Poco::Data::Session& session) const {
    if (_ordered)
        return true;
    try {
        std::vector<Poco::Int64> one;
        session << "SELECT 1 FROM " +
                       SequenceStore(_dialect, _settings.dedupTable).sequencesTable() + " LIMIT 1",
            into(one), now;
        return !one.empty();
    } catch (const Poco::Data::DataException&) {
        // No such table: ordered consumption was never set up here.
        return false;
    }
}

std::string HeadSkip::describe(Outcome outcome) {
    switch (outcome) {
    case Outcome::Skipped:
        return "";
    case Outcome::NoSuchRow:
        return "no such failed row";
    case Outcome::Running:
        return "a live host is running it; try again when it ends";
    case Outcome::NotAHead:
        return "not the head of a parked key; left as it was";
    }
    return "";
}

} // namespace msgbus::core
