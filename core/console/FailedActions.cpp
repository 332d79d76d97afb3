#include "core/console/FailedActions.h"

#include "core/config/RetryHorizon.h"
#include "core/console/CsvTable.h"
#include "core/console/FailedPages.h"
#include "core/console/HeadRedirect.h"
#include "core/console/JsonText.h"
#include "core/console/QueryParams.h"
#include "core/db/Database.h"
#include "core/db/DbErrors.h"
#include "core/db/Transaction.h"
#include "core/failed/ActionAudit.h"
#include "core/failed/FailedRetry.h"
#include "core/failed/FailedStore.h"
#include "core/failed/FailureGroup.h"
#include "core/failed/OutboxEnvelope.h"
#include "core/inbox/SequenceStore.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <set>
#include <sstream>

namespace msgbus::core::console {
namespace {

// Removals and inbox retries commit in chunks: one transaction per row would be slow, one for
// 10,000 rows would hold their locks against the retry workers for long.
constexpr std::size_t kRemoveChunk = 200;

/// An inbox row to retry, and where to (nullopt: its own consumer).
struct InboxRetry {
    std::int64_t id;
    std::optional<Redirect> redirect;
};

/// Retries inbox rows (one guarded UPDATE each) in transactions of kRemoveChunk rows (a commit
/// per row made 4,000 rows take most of a minute on a busy server); refused rows get a reason.
std::size_t retryInboxRows(Poco::Data::Session& session, Dialect dialect, GuardedChange& change,
                           int maxAttempts, std::chrono::milliseconds retention,
                           const std::vector<InboxRetry>& rows,
                           std::vector<std::pair<std::int64_t, std::string>>& refused) {
    const std::int64_t createdSince = nowMillis() - retention.count();
    std::size_t done = 0;
    for (std::size_t from = 0; from < rows.size(); from += kRemoveChunk) {
        Transaction tx(session, dialect);
        std::size_t chunkDone = 0;
        std::vector<std::pair<std::int64_t, std::string>> chunkRefused;
        for (std::size_t i = from; i < std::min(rows.size(), from + kRemoveChunk); ++i) {
            try {
                const auto refusal = change.retryNow(session, rows[i].id, maxAttempts, createdSince,
                                                     rows[i].redirect);
                if (refusal.reason == Refusal::None)
                    ++chunkDone;
                else
                    chunkRefused.emplace_back(rows[i].id,
                                              FailedActions::reasonText(refusal, retention));
            } catch (const std::exception& e) {
                if (isTransientDbError(e))
                    throw;
                chunkRefused.emplace_back(rows[i].id, "it cannot be retried: " + errorText(e));
            }
        }
        tx.commit();
        done += chunkDone;
        refused.insert(refused.end(), chunkRefused.begin(), chunkRefused.end());
    }
    return done;
}

RowRefusal goneRow() {
    RowRefusal gone;
    gone.reason = Refusal::Gone;
    return gone;
}

std::string timeText(std::int64_t ms) {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(ms * 1000),
                                           Poco::DateTimeFormat::ISO8601_FORMAT);
}

std::string compact(const Poco::JSON::Object::Ptr& object) {
    std::ostringstream out;
    object->stringify(out);
    return out.str();
}

Poco::JSON::Object::Ptr parseBody(const std::string& text) {
    try {
        Poco::JSON::Parser parser;
        auto value = parser.parse(text);
        if (value.type() == typeid(Poco::JSON::Object::Ptr))
            return value.extract<Poco::JSON::Object::Ptr>();
    } catch (...) {
    }
    throw ApiError(400, "the request body is not a JSON object");
}

std::optional<std::int64_t> integerOf(const Poco::JSON::Object::Ptr& o, const std::string& key) {
    if (!o->has(key) || o->isNull(key))
        return std::nullopt;
    try {
        return o->getValue<Poco::Int64>(key);
    } catch (...) {
        throw ApiError(400, "'" + key + "' is not a whole number");
    }
}

} // namespace

std::string FailedActions::reasonText(const RowRefusal& refusal,
                                      std::chrono::milliseconds retention) {
    switch (refusal.reason) {
    case Refusal::BodyCut:
        return "the body was cut when it was stored: it cannot be retried (a run would see only "
               "its first bytes)";
    case Refusal::Leased:
        return "a running host's retry worker holds it (leased " +
               (refusal.leasedBy.empty() ? "" : "by " + refusal.leasedBy + " ") + "until " +
               timeText(refusal.leasedUntil) + "): it runs there now";
    case Refusal::TooOld:
        return "created " + timeText(refusal.createdAt) +
               ", before the deduplication window "
               "(dedup.retention = " +
               durationText(retention) +
               "): its deduplication row may be gone, and a retry could run its effects twice";
    case Refusal::Gone:
        return "no longer in the failed table (settled or removed meanwhile)";
    case Refusal::Changed:
        return "it changed while the action ran; try again";
    case Refusal::None:
        break;
    }
    return "";
}

std::vector<std::int64_t> FailedActions::groupIds(Poco::Data::Session& session,
                                                  const Poco::JSON::Object::Ptr& body) {
    std::map<std::string, std::string> query;
    if (auto filter = body->getObject("filter"))
        for (const auto& name : filter->getNames())
            if (!filter->isNull(name))
                query[name] = filter->get(name).convert<std::string>();
    if (!body->get("group").isString())
        throw ApiError(400, "'group' is not a group id");
    query["group"] = body->getValue<std::string>("group");
    const FailedFilter filter = QueryParams(query).failedFilter();
    const auto expected = integerOf(body, "expected_count");
    if (!expected)
        throw ApiError(400, "a group action needs expected_count: the count the operator saw");
    FailedQuery rows(_context.database.dialect(), _context.settings.failedTable);
    const std::int64_t count = rows.count(session, filter);
    if (count != *expected)
        throw ApiError(409,
                       "the group holds " + std::to_string(count) + " rows now, not " +
                           std::to_string(*expected) + ": look at it again and confirm",
                       "\"count\":" + std::to_string(count));
    const int cap = _context.settings.console.maxActionRows;
    if (count > cap)
        throw ApiError(400, "the group holds " + std::to_string(count) +
                                " rows, more than one action may change (console.max_action_rows "
                                "= " +
                                std::to_string(cap) + "): narrow the filter");
    return rows.ids(session, filter, static_cast<int>(count));
}

FailedActions::Plan FailedActions::plan(Poco::Data::Session& session,
                                        const Poco::JSON::Object::Ptr& body) {
    Plan plan;
    plan.action = body->optValue<std::string>("action", "");
    if (plan.action != "retry" && plan.action != "remove" && plan.action != "skip")
        throw ApiError(400, "'action' must be retry, remove or skip");
    if (body->has("to_consumer") && !body->isNull("to_consumer")) {
        if (plan.action != "retry")
            throw ApiError(400, "to_consumer goes with a retry only");
        plan.toConsumer = body->getValue<std::string>("to_consumer");
        const auto& consumers = _context.settings.inbox.consumers;
        if (std::none_of(consumers.begin(), consumers.end(),
                         [&](const ConsumerSettings& c) { return c.name == *plan.toConsumer; }))
            throw ApiError(400, "to_consumer '" + *plan.toConsumer +
                                    "' is not a consumer of this configuration (inbox.consumers)");
    }
    const bool byIds = body->has("ids"), byGroup = body->has("group");
    if (byIds == byGroup)
        throw ApiError(400, "give either ids or group");
    if (byGroup) {
        if (plan.action == "skip")
            throw ApiError(400, "a skip names its rows by id: the heads of parked keys");
        plan.ids = groupIds(session, body);
        return plan;
    }
    auto ids = body->getArray("ids");
    if (!ids)
        throw ApiError(400, "'ids' is not an array");
    std::set<std::int64_t> unique;
    for (std::size_t i = 0; i < ids->size(); ++i) {
        Poco::Int64 id = 0;
        if (!ids->get(i).isInteger() || (id = ids->get(i).convert<Poco::Int64>()) <= 0)
            throw ApiError(400, "'ids' holds something that is not a row id");
        unique.insert(id);
    }
    if (unique.empty())
        throw ApiError(400, "'ids' is empty");
    if (unique.size() > static_cast<std::size_t>(_context.settings.console.maxActionRows))
        throw ApiError(400, std::to_string(unique.size()) +
                                " ids are more than one action may change "
                                "(console.max_action_rows = " +
                                std::to_string(_context.settings.console.maxActionRows) + ")");
    plan.ids.assign(unique.begin(), unique.end());
    return plan;
}

std::string
FailedActions::redirectRefusal(Poco::Data::Session& session, const FailedListRow& row,
                               const std::string& to,
                               const std::map<std::string, std::set<std::string>>& names) const {
    if (row.source == OutboxEnvelope::source)
        return "an outbox message goes back to the outbox: it has no consumer to retry it in";
    auto it = names.find(to);
    if (!row.messageName || it == names.end() || !it->second.count(*row.messageName))
        return "consumer " + to + " has no handler for " + row.messageName.value_or("(no name)");
    return headRedirectRefusal(session, _context.database.dialect(), _context.settings, row);
}

std::size_t FailedActions::retry(Poco::Data::Session& session, const Plan& plan,
                                 const std::vector<FailedListRow>& rows,
                                 std::vector<Refused>& refused) {
    const auto& s = _context.settings;
    std::map<std::string, std::set<std::string>> names;
    if (plan.toConsumer)
        names = _context.consumerNames();
    const std::int64_t now = nowMillis();
    GuardedChange change(s.failedTable, now);
    const RetryDestination destination{s.outbox.table, s.outbox.maxBodyBytes, s.retry.maxRetries};
    FailedStore store(_context.database.dialect(), s.failedTable);
    std::size_t done = 0;
    std::vector<InboxRetry> inbox;
    for (const auto& row : rows) {
        std::optional<Redirect> redirect;
        if (plan.toConsumer) {
            if (auto why = redirectRefusal(session, row, *plan.toConsumer, names); !why.empty()) {
                refused.push_back({row.id, why});
                continue;
            }
            const std::string source = sourceOfConsumer(*plan.toConsumer);
            redirect = Redirect{
                source, FailureGroup::keyOf(row.messageName, source, row.errorClass, row.error)};
        }
        if (row.source != OutboxEnvelope::source) {
            inbox.push_back({row.id, std::move(redirect)});
            continue;
        }
        // An outbox row moves back into the outbox, in a transaction of its own.
        try {
            auto whole = store.find(session, row.id);
            const auto refusal =
                whole ? retryFailedRow(session, _context.database.dialect(), destination, change,
                                       *whole, now - s.dedupRetention.count(), redirect)
                      : goneRow();
            if (refusal.reason == Refusal::None)
                ++done;
            else
                refused.push_back({row.id, reasonText(refusal, s.dedupRetention)});
        } catch (const std::exception& e) {
            if (isTransientDbError(e))
                throw;
            refused.push_back({row.id, "it cannot be retried: " + errorText(e)});
        }
    }
    std::vector<std::pair<std::int64_t, std::string>> inboxRefused;
    done += retryInboxRows(session, _context.database.dialect(), change, s.retry.maxRetries,
                           s.dedupRetention, inbox, inboxRefused);
    for (auto& [id, reason] : inboxRefused)
        refused.push_back({id, std::move(reason)});
    return done;
}

std::size_t FailedActions::remove(Poco::Data::Session& session,
                                  const std::vector<FailedListRow>& rows,
                                  std::vector<Refused>& refused) {
    GuardedChange change(_context.settings.failedTable, nowMillis());
    // A removed head of a parked key lets the key go on (ordered consumers).
    const std::vector<std::string> ordered = orderedConsumersOf(_context.settings);
    SequenceStore sequences(_context.database.dialect(), _context.settings.dedupTable);
    std::size_t done = 0;
    for (std::size_t from = 0; from < rows.size(); from += kRemoveChunk) {
        Transaction tx(session, _context.database.dialect());
        std::size_t chunkDone = 0;
        std::vector<Refused> chunkRefused;
        for (std::size_t i = from; i < std::min(rows.size(), from + kRemoveChunk); ++i) {
            const auto refusal = change.remove(session, rows[i].id);
            if (refusal.reason == Refusal::None) {
                ++chunkDone;
                if (!ordered.empty() && rows[i].messageIdHex && Id::isValid(*rows[i].messageIdHex))
                    sequences.resolveRow(session, rows[i].source, Id::parse(*rows[i].messageIdHex),
                                         ordered);
            } else
                chunkRefused.push_back(
                    {rows[i].id, reasonText(refusal, _context.settings.dedupRetention)});
        }
        tx.commit();
        done += chunkDone;
        refused.insert(refused.end(), chunkRefused.begin(), chunkRefused.end());
    }
    return done;
}

ApiResponse FailedActions::act(const ApiRequest& request) {
    if (request.readOnly)
        throw ApiError(403, "the console is read-only");
    auto body = parseBody(request.body);
    auto session = _context.database.session();
    const Plan plan = this->plan(*session, body);
    FailedQuery query(_context.database.dialect(), _context.settings.failedTable);
    const auto rows = query.byIds(*session, plan.ids);
    std::vector<Refused> refused;
    // Named rows that are gone are refused by name, like the guards' refusals.
    std::set<std::int64_t> found;
    for (const auto& row : rows)
        found.insert(row.id);
    for (auto id : plan.ids)
        if (!found.count(id))
            refused.push_back({id, reasonText(goneRow(), _context.settings.dedupRetention)});
    ActionAudit audit(_context.database.dialect(), _context.settings.failedTable);
    body->remove("action");
    const std::int64_t actionId = audit.begin(
        *session, {0, nowMillis(), request.user.empty() ? "console" : request.user, "console",
                   plan.action, compact(body), static_cast<std::int64_t>(plan.ids.size()), 0, 0});
    const std::size_t done = plan.action == "retry"    ? retry(*session, plan, rows, refused)
                             : plan.action == "remove" ? remove(*session, rows, refused)
                                                       : skip(*session, rows, refused);
    audit.finish(*session, actionId, static_cast<std::int64_t>(done),
                 static_cast<std::int64_t>(refused.size()));
    Poco::Logger::get("msgbus.console")
        .information("action %s: %s by %s: %z done, %z refused", std::to_string(actionId),
                     plan.action, request.user.empty() ? std::string("console") : request.user,
                     done, refused.size());
    std::sort(refused.begin(), refused.end(),
              [](const Refused& a, const Refused& b) { return a.id < b.id; });
    std::string list;
    for (std::size_t i = 0; i < refused.size(); ++i)
        list += std::string(i ? "," : "") + "{\"id\":" + std::to_string(refused[i].id) +
                ",\"reason\":" + jsonString(refused[i].reason) + "}";
    return jsonResponse("{\"action_id\":" + std::to_string(actionId) +
                        ",\"done\":" + std::to_string(done) + ",\"refused\":[" + list + "]}");
}

ApiResponse FailedActions::list(const ApiRequest& request) {
    const QueryParams params(request.query);
    const std::string format = params.text("format");
    const bool exporting = format == "csv" || format == "json";
    const auto after = params.integer("after", 1, INT64_MAX);
    const int limit = exporting ? FailedPages::kExportRows
                                : static_cast<int>(params.integer("limit", 50, 1, 500));
    auto session = _context.database.session();
    auto entries = ActionAudit(_context.database.dialect(), _context.settings.failedTable)
                       .list(*session, after, limit + 1);
    const bool more = entries.size() > static_cast<std::size_t>(limit);
    if (more)
        entries.pop_back();
    if (format == "csv") {
        CsvTable csv({"id", "at", "who", "action", "origin", "filter", "count", "done", "refused"});
        for (const auto& e : entries)
            csv.row()
                .number(e.id)
                .number(e.at)
                .text(e.who)
                .text(e.action)
                .text(e.origin)
                .text(e.filterJson)
                .number(e.count)
                .number(e.done)
                .number(e.refused);
        return csv.response("actions");
    }
    std::string list;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto& e = entries[i];
        list += std::string(i ? "," : "") + "{\"id\":" + std::to_string(e.id) +
                ",\"at\":" + std::to_string(e.at) + ",\"who\":" + jsonString(e.who) +
                ",\"action\":" + jsonString(e.action) + ",\"origin\":" + jsonString(e.origin) +
                ",\"filter\":" + jsonString(e.filterJson) +
                ",\"count\":" + std::to_string(e.count) + ",\"done\":" + std::to_string(e.done) +
                ",\"refused\":" + std::to_string(e.refused) + "}";
    }
    std::string body = "{\"actions\":[" + list +
                       "],\"next_after\":" + (more ? std::to_string(entries.back().id) : "null") +
                       "}";
    return format == "json" ? jsonDownload(std::move(body), "actions")
                            : jsonResponse(std::move(body));
}

} // namespace msgbus::core::console
