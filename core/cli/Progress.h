#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace msgbus::core::cli {

/// "<label>: 1500/12000" on stderr, rewritten in place at most a few times a second, for
/// commands that walk through many rows. Only when stderr is a terminal: in a pipe, a log or
/// cron it writes nothing, so output meant for scripts stays clean. Not thread-safe.
class Progress {
public:
    /// total: the expected count, or 0 when unknown (then the count alone is shown).
    Progress(std::string label, std::int64_t total);
    /// Clears the line it drew.
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void advance(std::int64_t done);

private:
    std::string _label;
    std::int64_t _total;
    std::int64_t _done = 0;
    bool _terminal;
    bool _drawn = false;
    std::chrono::steady_clock::time_point _lastDraw{};
};

} // namespace msgbus::core::cli
