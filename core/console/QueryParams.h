#pragma once

#include "core/failed/FailedQuery.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace msgbus::core::console {

/// The query parameters of an API request, read with checks: a bad value throws ApiError 400
/// naming the parameter and what was expected.
class QueryParams {
public:
    explicit QueryParams(const std::map<std::string, std::string>& query) : _query(query) {}

    /// The value, "" when absent.
    std::string text(const std::string& name) const;
    /// The whole number in [min, max], or nullopt when absent or empty.
    std::optional<std::int64_t> integer(const std::string& name, std::int64_t min,
                                        std::int64_t max) const;
    std::int64_t integer(const std::string& name, std::int64_t fallback, std::int64_t min,
                         std::int64_t max) const;

    /// The failed-row filter of a list or group page (status, group, consumer, name,
    /// error_class, since, until, q).
    FailedFilter failedFilter() const;

private:
    const std::map<std::string, std::string>& _query;
};

/// consumer as the failed table's source: "outbox" stays "outbox", a consumer c is "amqp:c".
std::string sourceOfConsumer(const std::string& consumer);
/// The reverse: "amqp:c" → "c", anything else as it is.
std::string consumerOfSource(const std::string& source);

} // namespace msgbus::core::console
