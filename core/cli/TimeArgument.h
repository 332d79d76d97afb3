#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace msgbus::core::cli {

/// An age on the command line: a whole number and a unit, s, m, h or d ("15m", "7d").
/// Throws UsageError naming the flag and the text when it is anything else.
std::chrono::milliseconds parseAge(const std::string& flag, const std::string& text);

/// A point in time on the command line (--since, --until), in ms since the epoch: an age
/// before nowMs ("2h") or an ISO-8601 date or time ("2026-11-26", "2026-11-26T14:00:00Z",
/// "2026-11-26T16:00:00+02:00"; without an offset it is UTC). Throws UsageError naming the
/// flag and the text when it is neither.
std::int64_t parsePointInTime(const std::string& flag, const std::string& text, std::int64_t nowMs);

/// An ISO-8601 date or time only (as parsePointInTime() reads it, without ages), in ms since
/// the epoch: for a time to come (--at), where an age would be ambiguous.
std::int64_t parseIsoTime(const std::string& flag, const std::string& text);

/// ms since the epoch as ISO-8601 UTC with seconds ("2026-11-26T14:00:00Z").
std::string isoTimeText(std::int64_t ms);

/// ms since the epoch as ISO-8601 UTC with milliseconds ("2026-11-26T14:00:00.250Z"): exact, so
/// that a window a command printed can be given back to --since/--until as it is.
std::string isoMillisText(std::int64_t ms);

} // namespace msgbus::core::cli
