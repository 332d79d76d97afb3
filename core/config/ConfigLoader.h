#pragma once

#include <Poco/AutoPtr.h>
#include <Poco/Util/LayeredConfiguration.h>

#include <string>

namespace msgbus::core {

/// Reads a properties file into a configuration where ${system.env.NAME} expands: the file
/// layered over Poco's SystemConfiguration. Throws ConfigError when the file cannot be read.
Poco::AutoPtr<Poco::Util::LayeredConfiguration> loadConfigurationFile(const std::string& path);

/// The file named by --config, else $MSGBUS_CONFIG, else ./msgbus.properties.
std::string resolveConfigPath(const std::string& fromCommandLine);

} // namespace msgbus::core
