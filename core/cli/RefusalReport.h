#pragma once

#include "core/failed/GuardedChange.h"

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace msgbus::core::cli {

/// The rows `failed:retry` or `failed:remove` left as they were: one line per row naming it and
/// why, and the counts for the command's summary. Not thread-safe (one per command).
class RefusalReport {
public:
    /// retention: dedup.retention, named in the lines of rows older than it.
    explicit RefusalReport(std::chrono::milliseconds retention) : _retention(retention) {}

    /// Notes what a change of row id found (nothing when it was made). named: the row was
    /// named by its id on the command line (not taken by --all), so its refusal fails the command.
    void add(std::int64_t id, const RowRefusal& refusal, bool named);

    /// The lines of the refused rows, one each, in the order they were added.
    void print(std::ostream& out) const;

    /// "; refused M: K cut bodies, L leased by a running host, J older than dedup.retention (use
    /// --force)" for a retry, "; refused M: L leased by a running host" for a removal (rows
    /// gone or changed meanwhile appended when there are any); "" when none was refused.
    std::string summary(bool retry) const;

    /// 1 when a row named by id was refused, else 0.
    int exitCode() const { return _namedRefused ? 1 : 0; }

private:
    std::string reasonText(const RowRefusal& refusal) const;

    std::chrono::milliseconds _retention;
    std::vector<std::string> _lines;
    std::size_t _cut = 0, _leased = 0, _old = 0, _changed = 0;
    bool _namedRefused = false;
};

} // namespace msgbus::core::cli
