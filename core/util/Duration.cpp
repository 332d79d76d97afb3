#include "core/util/Duration.h"

#include <cstdint>
#include <limits>
#include <regex>

namespace msgbus::core {
namespace {

std::int64_t unitOf(char suffix) {
    switch (suffix) {
    case 's':
        return 1000;
    case 'm':
        return 60 * 1000;
    case 'h':
        return 3600 * 1000;
    case 'd':
        return 86400 * 1000;
    default:
        return 0;
    }
}

} // namespace

std::optional<std::chrono::milliseconds> parseDuration(const std::string& text,
                                                       DurationProblem& problem) {
    static const std::regex shape(R"(^(\d{1,12})([smhd])$)");
    std::smatch m;
    if (!std::regex_match(text, m, shape)) {
        problem = DurationProblem::NotADuration;
        return std::nullopt;
    }
    const std::int64_t amount = std::stoll(m[1].str());
    const std::int64_t unit = unitOf(m[2].str()[0]);
    // A quarter of the range: "now minus it" and "now plus it" must both stay representable.
    if (amount > std::numeric_limits<std::int64_t>::max() / 4 / unit) {
        problem = DurationProblem::TooLarge;
        return std::nullopt;
    }
    return std::chrono::milliseconds(amount * unit);
}

const char* durationShape() {
    return "a whole number and s, m, h or d (15m, 7d)";
}

} // namespace msgbus::core
