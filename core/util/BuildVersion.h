#pragma once

#include <string>

namespace msgbus::core {

/// The msgbus version this executable was built as ("0.1.0"): what a host writes into its
/// heartbeat row and what the console shows.
std::string msgbusVersion();

} // namespace msgbus::core
