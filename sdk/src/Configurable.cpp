#include "msgbus/Configurable.h"

#include <Poco/Util/AbstractConfiguration.h>

namespace msgbus {

namespace {

void collectKeys(const Poco::Util::AbstractConfiguration& config, const std::string& prefix,
                 std::vector<std::string>& out) {
    Poco::Util::AbstractConfiguration::Keys children;
    config.keys(prefix, children);
    for (const auto& child : children) {
        std::string key = prefix.empty() ? child : prefix + "." + child;
        if (config.hasProperty(key))
            out.push_back(key);
        collectKeys(config, key, out);
    }
}

} // namespace

std::vector<std::string> configuredKeys(const Poco::Util::AbstractConfiguration& config) {
    std::vector<std::string> keys;
    collectKeys(config, "", keys);
    return keys;
}

} // namespace msgbus
