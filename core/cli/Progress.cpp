#include "core/cli/Progress.h"

#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace msgbus::core::cli {

Progress::Progress(std::string label, std::int64_t total)
    : _label(std::move(label)), _total(total), _terminal(isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() {
    if (_drawn)
        std::cerr << "\r\033[K" << std::flush;
}

void Progress::advance(std::int64_t done) {
    _done += done;
    if (!_terminal)
        return;
    const auto now = std::chrono::steady_clock::now();
    if (_drawn && now - _lastDraw < std::chrono::milliseconds(200))
        return;
    _lastDraw = now;
    _drawn = true;
    std::cerr << "\r\033[K" << _label << ": " << _done;
    if (_total > 0)
        std::cerr << "/" << _total;
    std::cerr << std::flush;
}

} // namespace msgbus::core::cli
