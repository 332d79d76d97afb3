#include "core/console/MessageDetail.h"

#include "core/console/BodyView.h"
#include "core/console/HeaderView.h"
#include "core/console/JsonText.h"
#include "core/console/QueryParams.h"
#include "core/failed/GuardedChange.h"
#include "core/util/Utf8Text.h"

namespace msgbus::core::console {
namespace {

std::string entriesJson(const HeaderView::Entries& entries) {
    std::string out = "{";
    for (std::size_t i = 0; i < entries.size(); ++i)
        out += (i ? "," : "") + jsonString(entries[i].first) + ":" + jsonString(entries[i].second);
    return out + "}";
}

std::string bodyJson(const FailedRecord& row) {
    const BodyView body = BodyView::of(row.body);
    return "{\"kind\":" + jsonString(body.kind) + ",\"text\":" + jsonString(body.text) +
           ",\"size\":" + std::to_string(body.size) + ",\"shown\":" + std::to_string(body.shown) +
           ",\"cut\":" + (body.cut ? "true" : "false") +
           ",\"stored_cut\":" + (GuardedChange::bodyWasCut(row.errorMessage) ? "true" : "false") +
           "}";
}

} // namespace

std::optional<std::string> traceIdOf(const std::string& traceparent) {
    if (traceparent.size() < 55 || traceparent[2] != '-' || traceparent[35] != '-')
        return std::nullopt;
    std::string id = traceparent.substr(3, 32);
    if (id.find_first_not_of("0123456789abcdef") != std::string::npos || id == std::string(32, '0'))
        return std::nullopt;
    return id;
}

std::string messageDetailJson(const FailedRecord& row, const ConsoleSettings& console,
                              std::int64_t nowMs, const std::optional<std::string>& parkedKey) {
    const HeaderView::View headers = HeaderView(console.maskedHeaders).of(row.envelopeJson);
    std::optional<std::string> traceId, traceLink;
    for (const auto& [name, value] : headers.headers)
        if (name == "traceparent")
            traceId = traceIdOf(value);
    if (traceId && !console.traceUrl.empty()) {
        std::string link = console.traceUrl;
        link.replace(link.find("{trace_id}"), 10, *traceId);
        traceLink = link;
    }
    const bool running = row.queueName == "running" && row.availableAt > nowMs;
    return "{\"id\":" + std::to_string(row.id) + ",\"message_id\":" +
           jsonString(row.messageId ? std::optional<std::string>(row.messageId->toString())
                                    : std::nullopt) +
           ",\"message_name\":" + jsonString(row.messageName) +
           ",\"consumer\":" + jsonString(consumerOfSource(row.source)) +
           ",\"queue\":" + jsonString(row.queueName) +
           ",\"error_class\":" + jsonString(row.errorClass) +
           ",\"error\":" + jsonString(row.errorMessage) +
           ",\"failed_at\":" + std::to_string(row.failedAt.value_or(row.createdAt)) +
           ",\"created_at\":" + std::to_string(row.createdAt) +
           ",\"attempts\":" + std::to_string(row.attempts) +
           ",\"available_at\":" + std::to_string(row.availableAt) +
           ",\"lease\":{\"running\":" + (running ? "true" : "false") +
           ",\"by\":" + jsonString(running ? row.leasedBy : std::nullopt) +
           ",\"until\":" + (running ? std::to_string(row.availableAt) : "null") +
           "},\"parked_key\":" +
           jsonString(parkedKey ? std::optional<std::string>(lossyUtf8(*parkedKey))
                                : std::nullopt) +
           ",\"trace_id\":" + jsonString(traceId) + ",\"trace_link\":" + jsonString(traceLink) +
           ",\"properties\":" + entriesJson(headers.properties) +
           ",\"headers\":" + entriesJson(headers.headers) + ",\"body\":" + bodyJson(row) + "}";
}

} // namespace msgbus::core::console
