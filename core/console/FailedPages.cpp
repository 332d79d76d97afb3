#include "core/console/FailedPages.h"

#include "core/inbox/HeadSkip.h"

#include "core/console/CsvTable.h"
#include "core/console/JsonText.h"
#include "core/console/MessageDetail.h"
#include "core/console/QueryParams.h"
#include "core/db/Database.h"
#include "core/failed/FailedStore.h"
#include "core/failed/FailureGroup.h"
#include "core/failed/FailureGroupBackfill.h"
#include "core/failed/GuardedChange.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"
#include "core/util/Utf8Text.h"

#include <msgbus/Id.h>

#include <Poco/Logger.h>
#include <Poco/NumberParser.h>

namespace msgbus::core::console {
namespace {

constexpr std::size_t kFingerprintChars = 200;
constexpr std::size_t kSampleChars = 2000;
constexpr std::size_t kListErrorChars = 300;
// Rows a groups request groups that had none yet: bounded, so a page stays quick.
constexpr std::int64_t kStragglerRows = 5000;

std::string cut(const std::string& text, std::size_t max) {
    return std::string(utf8Prefix(lossyUtf8(text), max));
}

std::optional<std::string> messageIdText(const std::optional<std::string>& hex) {
    if (!hex || !Id::isValid(*hex))
        return hex ? std::optional<std::string>(Poco::toLower(*hex)) : std::nullopt;
    return Id::parse(*hex).toString();
}

std::string groupJson(const FailedGroupRow& g) {
    return "{\"group\":" + jsonString(g.group) + ",\"message_name\":" + jsonString(g.messageName) +
           ",\"consumer\":" + jsonString(consumerOfSource(g.source)) +
           ",\"error_class\":" + jsonString(g.errorClass) + ",\"fingerprint\":" +
           jsonString(cut(FailureGroup::normalised(g.sampleError), kFingerprintChars)) +
           ",\"sample_error\":" + jsonString(cut(g.sampleError, kSampleChars)) +
           ",\"count\":" + std::to_string(g.count) +
           ",\"first_seen\":" + std::to_string(g.firstSeen) +
           ",\"last_seen\":" + std::to_string(g.lastSeen) + "}";
}

bool leased(const std::string& queue, std::int64_t availableAt, std::int64_t now) {
    return queue == "running" && availableAt > now;
}

std::string rowJson(const FailedListRow& r, std::int64_t now) {
    return "{\"id\":" + std::to_string(r.id) +
           ",\"message_id\":" + jsonString(messageIdText(r.messageIdHex)) +
           ",\"message_name\":" + jsonString(r.messageName) +
           ",\"consumer\":" + jsonString(consumerOfSource(r.source)) +
           ",\"queue\":" + jsonString(r.queueName) +
           ",\"error_class\":" + jsonString(r.errorClass) +
           ",\"error\":" + jsonString(cut(r.error, kListErrorChars)) +
           ",\"failed_at\":" + std::to_string(r.time) +
           ",\"attempts\":" + std::to_string(r.attempts) +
           ",\"leased\":" + (leased(r.queueName, r.availableAt, now) ? "true" : "false") +
           ",\"body_cut\":" + (GuardedChange::bodyWasCut(r.error) ? "true" : "false") + "}";
}

ApiResponse groupsCsv(const std::vector<FailedGroupRow>& groups) {
    CsvTable csv({"group", "message_name", "consumer", "error_class", "fingerprint", "count",
                  "first_seen", "last_seen", "sample_error"});
    for (const auto& g : groups)
        csv.row()
            .text(g.group)
            .text(g.messageName.value_or(""))
            .text(consumerOfSource(g.source))
            .text(g.errorClass)
            .text(cut(FailureGroup::normalised(g.sampleError), kFingerprintChars))
            .number(g.count)
            .number(g.firstSeen)
            .number(g.lastSeen)
            .text(cut(g.sampleError, kSampleChars));
    return csv.response("failed-groups");
}

ApiResponse messagesCsv(const std::vector<FailedListRow>& rows, std::int64_t now) {
    CsvTable csv({"id", "message_id", "message_name", "consumer", "queue", "error_class", "error",
                  "failed_at", "attempts", "leased", "body_cut"});
    for (const auto& r : rows)
        csv.row()
            .number(r.id)
            .text(messageIdText(r.messageIdHex).value_or(""))
            .text(r.messageName.value_or(""))
            .text(consumerOfSource(r.source))
            .text(r.queueName)
            .text(r.errorClass)
            .text(r.error)
            .number(r.time)
            .number(r.attempts)
            .text(leased(r.queueName, r.availableAt, now) ? "true" : "false")
            .text(GuardedChange::bodyWasCut(r.error) ? "true" : "false");
    return csv.response("failed-messages");
}

} // namespace

void FailedPages::groupStragglers() {
    try {
        FailureGroupBackfill backfill(_context.database, _context.settings.failedTable);
        if (backfill.pending() > 0)
            backfill.run(kStragglerRows);
    } catch (const std::exception& e) {
        if (!_stragglersFailed.exchange(true))
            Poco::Logger::get("msgbus.console")
                .warning("rows without a failure group stay ungrouped: %s", errorText(e));
    }
}

ApiResponse FailedPages::groups(const ApiRequest& request) {
    const QueryParams params(request.query);
    const FailedFilter filter = params.failedFilter();
    const std::string format = params.text("format");
    const auto page = params.integer("page", 1, 1, 1000000);
    const auto pageSize = params.integer("page_size", 50, 1, 500);
    groupStragglers();
    auto session = _context.database.session();
    const auto all = FailedQuery(_context.database.dialect(), _context.settings.failedTable)
                         .groups(*session, filter);
    if (format == "csv")
        return groupsCsv(all);
    std::string list;
    const auto from = static_cast<std::size_t>(format == "json" ? 0 : (page - 1) * pageSize);
    const auto to = format == "json"
                        ? all.size()
                        : std::min(all.size(), from + static_cast<std::size_t>(pageSize));
    for (std::size_t i = from; i < to; ++i)
        list += (i > from ? "," : "") + groupJson(all[i]);
    std::string body = "{\"groups\":[" + list + "],\"total_groups\":" + std::to_string(all.size()) +
                       ",\"page\":" + std::to_string(page) +
                       ",\"page_size\":" + std::to_string(pageSize) + "}";
    return format == "json" ? jsonDownload(std::move(body), "failed-groups")
                            : jsonResponse(std::move(body));
}

ApiResponse FailedPages::messages(const ApiRequest& request) {
    const QueryParams params(request.query);
    const FailedFilter filter = params.failedFilter();
    const std::string format = params.text("format");
    const bool exporting = format == "csv" || format == "json";
    const auto after = params.integer("after", 0, INT64_MAX);
    const int limit =
        exporting ? kExportRows : static_cast<int>(params.integer("limit", 50, 1, 500));
    FailedQuery query(_context.database.dialect(), _context.settings.failedTable);
    auto session = _context.database.session();
    auto rows = query.list(*session, filter, after, limit + 1);
    const bool more = rows.size() > static_cast<std::size_t>(limit);
    if (more)
        rows.pop_back();
    const std::int64_t now = nowMillis();
    if (format == "csv")
        return messagesCsv(rows, now);
    std::string list;
    for (std::size_t i = 0; i < rows.size(); ++i)
        list += (i ? "," : "") + rowJson(rows[i], now);
    const std::int64_t counted = query.count(*session, filter, kExactTotal);
    const bool exact = counted <= kExactTotal;
    std::string body = "{\"messages\":[" + list +
                       "],\"next_after\":" + (more ? std::to_string(rows.back().id) : "null") +
                       ",\"total\":" + std::to_string(exact ? counted : kExactTotal) +
                       ",\"total_exact\":" + (exact ? "true" : "false") + "}";
    return format == "json" ? jsonDownload(std::move(body), "failed-messages")
                            : jsonResponse(std::move(body));
}

ApiResponse FailedPages::message(const ApiRequest& request) {
    const std::string text = request.path.substr(request.path.rfind('/') + 1);
    Poco::Int64 id = 0;
    if (!Poco::NumberParser::tryParse64(text, id) || id <= 0)
        throw ApiError(400, "'" + text + "' is not a failed message id");
    auto session = _context.database.session();
    auto row =
        FailedStore(_context.database.dialect(), _context.settings.failedTable).find(*session, id);
    if (!row)
        throw ApiError(404, "no failed message " + std::to_string(id));
    const auto parkedKey =
        HeadSkip(_context.settings, _context.database.dialect()).keyHeadedBy(*session, *row);
    return jsonResponse(messageDetailJson(*row, _context.settings.console, nowMillis(), parkedKey));
}

} // namespace msgbus::core::console
