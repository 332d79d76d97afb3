#pragma once

#include "core/config/WorkerSettings.h"
#include "core/plugins/PluginRuntimeDir.h"
#include "core/plugins/PluginSet.h"

#include <Poco/Util/AbstractConfiguration.h>

#include <memory>

namespace msgbus::core {

/// Builds a complete PluginSet from the manifest in the configuration.
///
/// For each plugin.<id>: resolves the library against plugins.dir (a path escaping it is
/// refused), copies it into a fresh directory of this generation,
/// <runtime_dir>/gen-<N>-XXXXXX/<id>-<name>-<sha12>.so (a new inode: dlopen never returns a
/// stale image of a rebuilt file, and the source may be redeployed at any time; see
/// PluginRuntimeDir and PluginGenerationDir for why nothing found there is trusted), opens
/// the copy, instantiates the selected classes and calls configure() with the plugin's own view
/// plugin.<id>.config.*. Then picks the bus serializer and routing strategy and builds each
/// consumer's dispatch table (two handlers claiming one name for one consumer is an error).
/// Any failure throws PluginError naming the plugin; nothing of the half-built set survives.
/// The copies are removed when the generation's last library is unloaded.
class PluginLoader {
public:
    /// runtime: where the copies go; when null, load() opens one from plugins.runtime_dir
    /// (a private temporary directory when unset), which lives as long as the set it built.
    PluginLoader(PluginManifest manifest, Poco::Util::AbstractConfiguration::Ptr config,
                 std::shared_ptr<PluginRuntimeDir> runtime = nullptr)
        : _manifest(std::move(manifest)), _config(std::move(config)), _runtime(std::move(runtime)) {
    }

    std::shared_ptr<const PluginSet> load(std::uint64_t generation) const;

    /// plugins.dir/<library>, refusing absolute paths outside it and "..".
    static std::string resolveLibraryPath(const std::string& pluginsDir, const std::string& library,
                                          const std::string& id);

private:
    const PluginManifest _manifest;
    Poco::Util::AbstractConfiguration::Ptr _config;
    std::shared_ptr<PluginRuntimeDir> _runtime;
};

} // namespace msgbus::core
