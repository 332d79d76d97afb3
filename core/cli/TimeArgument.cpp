#include "core/cli/TimeArgument.h"

#include "core/cli/CommandLine.h"
#include "core/util/Duration.h"

#include <Poco/DateTime.h>

#include <ctime>
#include <iomanip>
#include <optional>
#include <regex>
#include <sstream>

namespace msgbus::core::cli {
namespace {

/// An ISO-8601 date or date-time, strictly: Poco's parser takes any text and returns year 0.
std::optional<std::int64_t> isoMillis(const std::string& text) {
    static const std::regex shape(R"(^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)"
                                  R"((?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$)");
    std::smatch m;
    if (!std::regex_match(text, m, shape))
        return std::nullopt;
    auto number = [&](int group) { return m[group].matched ? std::stoi(m[group].str()) : 0; };
    const int year = number(1), month = number(2), day = number(3);
    const int hour = number(4), minute = number(5), second = number(6);
    if (!Poco::DateTime::isValid(year, month, day, hour, minute, second))
        return std::nullopt;
    std::int64_t ms =
        Poco::DateTime(year, month, day, hour, minute, second).timestamp().epochMicroseconds() /
        1000;
    if (m[7].matched)
        ms += std::stoll((m[7].str() + "00").substr(0, 3));
    if (m[8].matched && m[8].str() != "Z") {
        const std::string zone = m[8].str();
        const int hours = std::stoi(zone.substr(1, 2));
        const int minutes = std::stoi(zone.substr(zone.size() - 2));
        if (hours > 23 || minutes > 59)
            return std::nullopt;
        const std::int64_t offset = (hours * 60 + minutes) * 60 * 1000;
        ms -= zone[0] == '+' ? offset : -offset; // local time = UTC + offset
    }
    return ms;
}

} // namespace

std::chrono::milliseconds parseAge(const std::string& flag, const std::string& text) {
    DurationProblem problem = DurationProblem::NotADuration;
    if (auto age = parseDuration(text, problem))
        return *age;
    if (problem == DurationProblem::TooLarge)
        throw UsageError(flag + " '" + text + "': too large");
    throw UsageError(flag + " '" + text + "': expected an age, " + durationShape());
}

std::int64_t parsePointInTime(const std::string& flag, const std::string& text,
                              std::int64_t nowMs) {
    if (auto ms = isoMillis(text))
        return *ms;
    static const std::regex age(R"(^\d+[smhd]$)");
    if (!std::regex_match(text, age))
        throw UsageError(flag + " '" + text +
                         "': expected an age (15m, 2h, 7d) or an ISO-8601 time "
                         "(2026-11-26T14:00:00Z)");
    return nowMs - parseAge(flag, text).count();
}

std::int64_t parseIsoTime(const std::string& flag, const std::string& text) {
    if (auto ms = isoMillis(text))
        return *ms;
    throw UsageError(flag + " '" + text +
                     "': expected an ISO-8601 time (2026-11-26T14:00:00Z, "
                     "2026-11-26T16:00+02:00; UTC without an offset)");
}

std::string isoTimeText(std::int64_t ms) {
    std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    std::ostringstream out;
    out << std::put_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
    return out.str();
}

std::string isoMillisText(std::int64_t ms) {
    const std::string seconds = isoTimeText(ms);
    const std::string fraction = std::to_string(1000 + ((ms % 1000) + 1000) % 1000).substr(1);
    return seconds.substr(0, seconds.size() - 1) + "." + fraction + "Z";
}

} // namespace msgbus::core::cli
