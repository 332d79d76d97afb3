#include "core/config/ConfigLoader.h"

#include "core/config/ConfigError.h"

#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Util/PropertyFileConfiguration.h>
#include <Poco/Util/SystemConfiguration.h>

#include <cstdlib>

namespace msgbus::core {

Poco::AutoPtr<Poco::Util::LayeredConfiguration> loadConfigurationFile(const std::string& path) {
    if (!Poco::File(path).exists())
        throw ConfigError("--config", "file '" + path + "' does not exist");
    Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> file;
    try {
        file = new Poco::Util::PropertyFileConfiguration(path);
    } catch (const Poco::Exception& e) {
        throw ConfigError("--config", "cannot read '" + path + "': " + e.displayText());
    }
    Poco::AutoPtr<Poco::Util::LayeredConfiguration> layered(new Poco::Util::LayeredConfiguration);
    layered->add(file, "file", 0, false);
    layered->add(new Poco::Util::SystemConfiguration, "system", 100, false);
    return layered;
}

std::string resolveConfigPath(const std::string& fromCommandLine) {
    if (!fromCommandLine.empty())
        return fromCommandLine;
    if (const char* env = std::getenv("MSGBUS_CONFIG"); env && *env)
        return env;
    return "msgbus.properties";
}

} // namespace msgbus::core
