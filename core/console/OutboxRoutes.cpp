// GET /api/outbox/summary and GET /api/outbox/delivered.
#include "core/config/Settings.h"
#include "core/console/ApiAnswer.h"
#include "core/console/ListAnswer.h"
#include "core/console/OperationsHandlers.h"
#include "core/db/Database.h"
#include "core/db/RowFilter.h"
#include "core/outbox/DeliveredStore.h"
#include "core/util/Utf8Text.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>

namespace msgbus::core::console {
namespace {

using namespace Poco::Data::Keywords;

/// An error text as the summary shows it: the start of it, which says what went wrong.
constexpr std::size_t kErrorTextBytes = 2000;

struct NameSummary {
    std::string name;
    std::int64_t pending = 0;
    std::optional<std::int64_t> oldestCreatedAt;
    std::int64_t failing = 0;
    std::optional<std::string> lastError;
};

// One pass over the pending rows: the outbox holds what is still to be sent, normally few rows;
// after a long broker outage this is a scan of what piled up, like msgbus stats' count.
std::vector<NameSummary> pendingByName(Poco::Data::Session& session, const std::string& outbox) {
    Poco::Data::Statement select(session);
    select << "SELECT message_name, COUNT(*), MIN(created_at), "
              "SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END) FROM " +
                  outbox + " GROUP BY message_name ORDER BY message_name";
    select.execute();
    Poco::Data::RecordSet rows(select);
    std::vector<NameSummary> out;
    for (std::size_t i = 0; i < rows.rowCount(); ++i) {
        NameSummary s;
        s.name = rows.value(0, i).convert<std::string>();
        s.pending = rows.value(1, i).convert<Poco::Int64>();
        if (!rows.value(2, i).isEmpty())
            s.oldestCreatedAt = rows.value(2, i).convert<Poco::Int64>();
        s.failing = rows.value(3, i).isEmpty() ? 0 : rows.value(3, i).convert<Poco::Int64>();
        out.push_back(std::move(s));
    }
    return out;
}

/// The error of the name's failing row that is due last: the one attempted most recently.
std::optional<std::string> lastErrorOf(Poco::Data::Session& session, const std::string& outbox,
                                       std::string name) {
    std::vector<std::string> errors;
    session << "SELECT last_error FROM " + outbox +
                   " WHERE message_name = ? AND attempts > 0 AND last_error IS NOT NULL "
                   "ORDER BY available_at DESC LIMIT 1",
        use(name), into(errors), now;
    if (errors.empty())
        return std::nullopt;
    return std::string(utf8Prefix(lossyUtf8(errors.front()), kErrorTextBytes));
}

} // namespace

ApiResponse outboxSummary(const OperationsContext& context, const ApiRequest& request) {
    const ListFormat format = listFormatOf(request);
    const std::string& outbox = context.settings.outbox.table;
    auto session = context.database.session();
    auto names = pendingByName(*session, outbox);
    ListAnswer answer("names",
                      {"message_name", "pending", "oldest_pending_ms", "failing", "last_error"},
                      "outbox-summary");
    std::int64_t total = 0;
    for (auto& s : names) {
        if (s.failing > 0)
            s.lastError = lastErrorOf(*session, outbox, s.name);
        total += s.pending;
        answer.add({Cell::of(s.name), Cell::of(s.pending), Cell::of(s.oldestCreatedAt),
                    Cell::of(s.failing), Cell::of(s.lastError)});
    }
    answer.member("pending_total", std::to_string(total));
    answer.member("keep_delivered", context.settings.outbox.keepDelivered ? "true" : "false");
    return answer.answer(format);
}

namespace {

/// The delivered trail's filter from the query: message_id (ids), name (comma-separated), since
/// and until (on delivered_at, ms).
RowFilter deliveredFilter(const QueryParameters& query) {
    RowFilter filter;
    filter.names = query.list("name");
    for (const auto& text : query.list("message_id")) {
        if (!Id::isValid(text))
            throw ApiError(400, "query parameter message_id='" + lossyUtf8(text) +
                                    "' is not a message id (a UUID, a ULID or 32 hex digits)");
        filter.ids.push_back(Id::parse(text));
    }
    filter.since = query.integer("since");
    filter.until = query.integer("until");
    if (filter.since && filter.until && *filter.until <= *filter.since)
        throw ApiError(400, "query parameter until must be later than since");
    return filter;
}

/// Newest first (by the delivery's key): id = one delivery, after = the keys below it (the
/// next page).
std::vector<DeliveryRecord> deliveries(Poco::Data::Session& session, const std::string& table,
                                       const RowFilter& filter, std::optional<std::int64_t> id,
                                       std::optional<std::int64_t> after, int limit) {
    RowFilterSql where(filter, "delivered_at", "id");
    std::string extra;
    std::vector<Poco::Int64> keys;
    if (id) {
        extra = "id = ?";
        keys.push_back(*id);
    }
    if (after) {
        extra += std::string(extra.empty() ? "" : " AND ") + "id < ?";
        keys.push_back(*after);
    }
    Poco::Int64 max = limit;
    Poco::Data::Statement select(session);
    select << "SELECT id, hex(message_id), message_name, partition_key, created_at, delivered_at "
              "FROM " +
                  table + (extra.empty() ? where.where() : where.whereAnd(extra)) +
                  " ORDER BY id DESC LIMIT ?";
    where.bind(select);
    for (auto& key : keys)
        select, use(key);
    select, use(max);
    select.execute();
    Poco::Data::RecordSet rows(select);
    return listedRecords<DeliveryRecord>(rows, [&rows](DeliveryRecord& r, std::size_t i) {
        r.id = rows.value(0, i).convert<Poco::Int64>();
        r.deliveredAt = rows.value(5, i).convert<Poco::Int64>();
    });
}

} // namespace

DeliveredStore existingDeliveredStore(const OperationsContext& context,
                                      Poco::Data::Session& session) {
    DeliveredStore store(context.database.dialect(), context.settings.outbox.table);
    if (!store.exists(session))
        throw ApiError(404, "the table " + store.table() +
                                " does not exist: `msgbus setup` creates it, and "
                                "outbox.keep_delivered = true fills it");
    return store;
}

ApiResponse outboxDelivered(const OperationsContext& context, const ApiRequest& request) {
    const ListFormat format = listFormatOf(request);
    const QueryParameters query(request);
    const RowFilter filter = deliveredFilter(query);
    const auto id = query.integer("id");
    const auto after = query.integer("after");
    const int limit = format == ListFormat::Page
                          ? static_cast<int>(query.integer("limit", 50, 1, 1000))
                          : kMaxExportRows;
    auto session = context.database.session();
    DeliveredStore store = existingDeliveredStore(context, *session);
    // One more than a page: whether there is a next one.
    // A download is the whole list, not a page of it.
    auto rows = deliveries(*session, store.table(), filter, id,
                           format == ListFormat::Page ? after : std::nullopt, limit + 1);
    const bool more = rows.size() > static_cast<std::size_t>(limit);
    if (more)
        rows.pop_back();
    ListAnswer answer(
        "rows", {"id", "message_id", "message_name", "partition_key", "created_at", "delivered_at"},
        "outbox-delivered");
    for (const auto& r : rows)
        answer.add({Cell::of(r.id), Cell::of(r.messageId), Cell::of(r.name),
                    Cell::of(r.partitionKey), Cell::of(r.createdAt), Cell::of(r.deliveredAt)});
    const std::optional<std::int64_t> next =
        more && format == ListFormat::Page ? std::optional(rows.back().id) : std::nullopt;
    answer.member("next_after", jsonText(next));
    if (format != ListFormat::Page)
        answer.member("truncated", more ? "true" : "false");
    answer.member("keep_delivered", context.settings.outbox.keepDelivered ? "true" : "false");
    return answer.answer(format);
}

} // namespace msgbus::core::console
