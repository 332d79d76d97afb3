#pragma once

#include "core/config/ConsoleSettings.h"
#include "core/failed/FailedStore.h"

#include <cstdint>
#include <optional>
#include <string>

namespace msgbus::core::console {

/// The trace id of a W3C traceparent ("00-<32 hex>-<16 hex>-<2 hex>"), or nullopt.
std::optional<std::string> traceIdOf(const std::string& traceparent);

/// One failed row as GET /api/failed/messages/<id> answers it: the row, its lease, its
/// properties and headers (masked per console.masked_headers), its body view, its trace id and
/// the link console.trace_url makes of it, and the partition key whose parked messages wait
/// behind it (parkedKey, when it heads one). Pure, thread-safe.
std::string messageDetailJson(const FailedRecord& row, const ConsoleSettings& console,
                              std::int64_t nowMs,
                              const std::optional<std::string>& parkedKey = std::nullopt);

} // namespace msgbus::core::console
