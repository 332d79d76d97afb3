#pragma once

#include <cstddef>
#include <string>

namespace msgbus::core {

/// Why one row of a relayed batch did not go out this time.
struct RowFailure {
    std::size_t index; ///< in the claimed batch
    std::string error;
    bool permanent = false; ///< straight to the failed table (retrying cannot help)
};

} // namespace msgbus::core
