#pragma once

#include "core/config/Settings.h"
#include "core/plugins/PluginSet.h"

#include <Poco/Util/AbstractConfiguration.h>

#include <memory>

namespace msgbus::core {

/// Builds a complete PluginSet from the manifest in the configuration (DESIGN §3).
///
/// For each plugin.<id>: resolves the library against plugins.dir (a path escaping it is
/// refused), copies it to <runtime_dir>/gen-<N>/<name>-<sha8>.so (a new inode: dlopen never
/// returns a stale image of a rebuilt file, and the source may be redeployed at any time), opens
/// the copy, instantiates the selected classes and calls configure() with the plugin's own view
/// plugin.<id>.config.*. Then picks the bus serializer and routing strategy and builds each
/// consumer's dispatch table (two handlers claiming one name for one consumer is an error).
/// Any failure throws PluginError naming the plugin; nothing of the half-built set survives.
class PluginLoader {
public:
    PluginLoader(const Settings& settings, Poco::Util::AbstractConfiguration::Ptr config)
        : _settings(settings), _config(std::move(config)) {}

    std::shared_ptr<const PluginSet> load(std::uint64_t generation) const;

    /// plugins.dir/<library>, refusing absolute paths outside it and "..".
    static std::string resolveLibraryPath(const std::string& pluginsDir, const std::string& library,
                                          const std::string& id);

private:
    const Settings& _settings;
    Poco::Util::AbstractConfiguration::Ptr _config;
};

} // namespace msgbus::core
