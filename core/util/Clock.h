#pragma once

#include <chrono>
#include <cstdint>

namespace msgbus::core {

/// UTC milliseconds since the epoch: the unit of every timestamp column.
inline std::int64_t nowMillis() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace msgbus::core
