#include "core/failed/GuardedChange.h"

#include <msgbus/internal/SqlIdentifier.h>

#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>

#include <vector>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

namespace {

// The note texts are fixed here and matched by LIKE: neither holds a LIKE wildcard or a quote.
constexpr const char* kCutNote = "[body cut: ";
constexpr const char* kDroppedNote = "[the headers and the body (";

/// SQL true for a row whose body was not stored whole. Contains, not starts with: rows stored
/// before the notes moved to the front carry them at the end.
std::string cutCondition() {
    return std::string("(error_message LIKE '%") + kCutNote + "%' OR error_message LIKE '%" +
           kDroppedNote + "%')";
}

} // namespace

std::string bodyCutNote(std::size_t storedBytes, std::size_t wholeBytes) {
    return std::string(kCutNote) + "the first " + std::to_string(storedBytes) + " of " +
           std::to_string(wholeBytes) + " bytes are stored] ";
}

std::string bodyDroppedNote(std::size_t wholeBytes, const std::string& why) {
    return std::string(kDroppedNote) + std::to_string(wholeBytes) +
           " bytes) could not be stored: " + why + "] ";
}

std::string_view withoutBodyNote(std::string_view errorMessage) {
    for (std::string_view note : {std::string_view(kCutNote), std::string_view(kDroppedNote)}) {
        if (errorMessage.substr(0, note.size()) != note)
            continue;
        const auto end = errorMessage.find("] ", note.size());
        return end == std::string_view::npos ? errorMessage : errorMessage.substr(end + 2);
    }
    return errorMessage;
}

GuardedChange::GuardedChange(std::string table, std::int64_t nowMs)
    : _table(std::move(table)), _now(nowMs) {
    validateSqlIdentifier(_table, "failed.table");
}

bool GuardedChange::bodyWasCut(const std::string& errorMessage) {
    return errorMessage.find(kCutNote) != std::string::npos ||
           errorMessage.find(kDroppedNote) != std::string::npos;
}

std::string GuardedChange::notLeased() const {
    // A lease that ran out is no host's any more: its host died or its run outlasted the
    // lease, and the retry workers take such a row again too.
    return " AND NOT (queue_name = 'running' AND available_at > " + std::to_string(_now) + ")";
}

std::string GuardedChange::retryConditions(std::optional<std::int64_t> createdSince) const {
    std::string where = " AND NOT " + cutCondition() + notLeased();
    if (createdSince)
        where += " AND created_at >= " + std::to_string(*createdSince);
    return where;
}

RowRefusal GuardedChange::retryNow(Poco::Data::Session& session, std::int64_t id, int maxAttempts,
                                   std::optional<std::int64_t> createdSince,
                                   const std::optional<Redirect>& redirect) {
    const std::string cap = std::to_string(maxAttempts);
    std::string source = redirect ? redirect->source : "";
    std::string group = redirect ? redirect->failureGroup : "";
    const bool regroup = redirect && !group.empty();
    Poco::Data::Statement update(session);
    update << "UPDATE " + _table +
                  " SET queue_name = 'retry', available_at = " + std::to_string(_now) +
                  (redirect ? ", source = ?" : "") + (regroup ? ", failure_group = ?" : "") +
                  ", failed_at = NULL, attempts = CASE WHEN attempts > " + cap + " THEN " + cap +
                  " ELSE attempts END WHERE id = " + std::to_string(id) +
                  retryConditions(createdSince);
    if (redirect)
        update, use(source);
    if (regroup)
        update, use(group);
    if (update.execute() == 1)
        return {};
    return refusalOf(session, id, true, createdSince);
}

RowRefusal GuardedChange::takeForRetry(Poco::Data::Session& session, std::int64_t id,
                                       std::optional<std::int64_t> createdSince) {
    Poco::Data::Statement remove(session);
    remove << "DELETE FROM " + _table + " WHERE id = " + std::to_string(id) +
                  retryConditions(createdSince);
    if (remove.execute() == 1)
        return {};
    return refusalOf(session, id, true, createdSince);
}

RowRefusal GuardedChange::remove(Poco::Data::Session& session, std::int64_t id) {
    Poco::Data::Statement remove(session);
    // Only the lease guards a removal: a cut or old row is the operator's to drop.
    remove << "DELETE FROM " + _table + " WHERE id = " + std::to_string(id) + notLeased();
    if (remove.execute() == 1)
        return {};
    return refusalOf(session, id, false, std::nullopt);
}

RowRefusal GuardedChange::refusalOf(Poco::Data::Session& session, std::int64_t id, bool cutCounts,
                                    std::optional<std::int64_t> createdSince) {
    std::vector<std::string> queues;
    std::vector<Poco::Int64> available, created, cut;
    std::vector<Poco::Nullable<std::string>> leasedBy;
    session << "SELECT queue_name, available_at, created_at, CASE WHEN " + cutCondition() +
                   " THEN 1 ELSE 0 END, leased_by FROM " + _table +
                   " WHERE id = " + std::to_string(id),
        into(queues), into(available), into(created), into(cut), into(leasedBy), now;
    RowRefusal found;
    if (queues.empty()) {
        found.reason = Refusal::Gone;
        return found;
    }
    // In the order of what --force cannot override first: the reason a line names must be one
    // that --force would not get past when there is one.
    if (cutCounts && cut[0] != 0) {
        found.reason = Refusal::BodyCut;
    } else if (queues[0] == "running" && available[0] > _now) {
        found.reason = Refusal::Leased;
        found.leasedUntil = available[0];
        found.leasedBy = leasedBy[0].isNull() ? "" : leasedBy[0].value();
    } else if (createdSince && created[0] < *createdSince) {
        found.reason = Refusal::TooOld;
        found.createdAt = created[0];
    } else {
        found.reason = Refusal::Changed;
    }
    return found;
}

} // namespace msgbus::core
