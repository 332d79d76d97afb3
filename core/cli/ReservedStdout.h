#pragma once

#include <string>

namespace msgbus::core::cli {

/// Keeps standard output for one writer. While it lives, file descriptor 1 points at stderr, so
/// whatever else the process runs (plugin code, libraries) cannot print into a report that
/// must stay parseable (`msgbus check --json`); write() goes to the real stdout. The destructor
/// puts stdout back. Not thread-safe: made and used by the command's thread, before and after
/// any other threads it starts.
class ReservedStdout {
public:
    /// Throws std::system_error when the descriptors cannot be duplicated.
    ReservedStdout();
    ~ReservedStdout();
    ReservedStdout(const ReservedStdout&) = delete;
    ReservedStdout& operator=(const ReservedStdout&) = delete;

    /// Writes text whole to the real stdout. Throws std::system_error on a write error.
    void write(const std::string& text);

private:
    int _stdout;
};

} // namespace msgbus::core::cli
