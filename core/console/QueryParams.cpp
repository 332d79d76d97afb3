#include "core/console/QueryParams.h"

#include "core/console/JsonText.h"
#include "core/failed/FailureGroup.h"

#include <Poco/NumberParser.h>

namespace msgbus::core::console {

std::string QueryParams::text(const std::string& name) const {
    auto it = _query.find(name);
    return it == _query.end() ? "" : it->second;
}

std::optional<std::int64_t> QueryParams::integer(const std::string& name, std::int64_t min,
                                                 std::int64_t max) const {
    const std::string value = text(name);
    if (value.empty())
        return std::nullopt;
    Poco::Int64 number = 0;
    if (!Poco::NumberParser::tryParse64(value, number) || number < min || number > max)
        throw ApiError(400, "query parameter '" + name + "': '" + value +
                                "' is not a whole number in [" + std::to_string(min) + ", " +
                                std::to_string(max) + "]");
    return number;
}

std::int64_t QueryParams::integer(const std::string& name, std::int64_t fallback, std::int64_t min,
                                  std::int64_t max) const {
    return integer(name, min, max).value_or(fallback);
}

FailedFilter QueryParams::failedFilter() const {
    FailedFilter f;
    const std::string status = text("status");
    if (!status.empty()) {
        if (status != "failed" && status != "retry" && status != "all")
            throw ApiError(400, "query parameter 'status': '" + status +
                                    "' is not failed, retry or all");
        f.status = status;
    }
    f.group = text("group");
    if (!f.group.empty() && f.group != FailedFilter::kUngrouped && !FailureGroup::isKey(f.group))
        throw ApiError(400, "query parameter 'group': '" + f.group + "' is not a group id");
    if (const std::string consumer = text("consumer"); !consumer.empty())
        f.source = sourceOfConsumer(consumer);
    f.name = text("name");
    f.errorClass = text("error_class");
    f.since = integer("since", 0, INT64_MAX);
    f.until = integer("until", 0, INT64_MAX);
    f.text = text("q");
    return f;
}

std::string sourceOfConsumer(const std::string& consumer) {
    return consumer == "outbox" ? consumer : "amqp:" + consumer;
}

std::string consumerOfSource(const std::string& source) {
    return source.rfind("amqp:", 0) == 0 ? source.substr(5) : source;
}

} // namespace msgbus::core::console
