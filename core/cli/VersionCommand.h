#pragma once

#include <string>
#include <vector>

namespace msgbus::core::cli {

/// `msgbus version` / `msgbus --version`: the msgbus version, the plugin SDK ABI a plugin must
/// be built for, and the Poco and rabbitmq-c libraries this process runs with. Exit code 0.
int version(const std::vector<std::string>& args);

/// This msgbus's version ("0.1.0").
std::string versionNumber();

/// The text `version` prints, one "<what> <version>" line each.
std::string versionText();

} // namespace msgbus::core::cli
