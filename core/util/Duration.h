#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace msgbus::core {

/// Why a text is not a duration (see parseDuration()).
enum class DurationProblem { NotADuration, TooLarge };

/// A duration as an operator writes it on the command line and in the properties file: a whole
/// number and a unit, s, m, h or d ("15m", "7d"), nothing around it. Sets problem and returns
/// nothing when text is anything else, or too large to add to a time in ms since the epoch
/// without overflow. Pure, thread-safe.
std::optional<std::chrono::milliseconds> parseDuration(const std::string& text,
                                                       DurationProblem& problem);

/// What parseDuration() expects, for error messages: "a whole number and s, m, h or d (15m, 7d)".
const char* durationShape();

} // namespace msgbus::core
