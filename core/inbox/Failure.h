#pragma once

#include <string>

namespace msgbus::core {

/// Why one message could not be handled, as its retry or failed row records it: the
/// error_class column, the error_message column, and whether a later attempt may succeed
/// (a retry row, until retry.max_retries) or never can (a failed row at once).
struct Failure {
    std::string errorClass;
    std::string error;
    bool retryable = false;
};

} // namespace msgbus::core
