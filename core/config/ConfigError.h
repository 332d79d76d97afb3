#pragma once

#include <msgbus/Error.h>

#include <string>

namespace msgbus::core {

/// A missing, unknown or invalid configuration value. The message names the key and what was
/// expected; the CLI maps it to exit code 2.
class ConfigError : public msgbus::Error {
public:
    ConfigError(const std::string& key, const std::string& problem)
        : Error("configuration key '" + key + "': " + problem), _key(key) {}
    const std::string& key() const noexcept { return _key; }

private:
    std::string _key;
};

} // namespace msgbus::core
