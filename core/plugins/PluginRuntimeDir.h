#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace msgbus::core {

class PluginGenerationDir;

/// The directory where the host puts the private copies of plugin libraries it loads.
///
/// Not configured (plugins.runtime_dir empty): a fresh directory made with mkdtemp (mode 0700,
/// an unpredictable name) under $RUNTIME_DIRECTORY (systemd's RuntimeDirectory=), else $TMPDIR,
/// else /tmp; it is this process's own and is removed, whole, when the last reference goes.
///
/// Configured: the operator's directory, created with mode 0700 when missing. It is refused
/// (ConfigError naming plugins.runtime_dir, exit 2) unless it is a directory owned by the host's
/// user and neither group- nor world-writable: anyone else able to write there could swap a
/// library the host is about to load. It is never removed or emptied; only what this process
/// creates inside it (its generation directories) is removed again.
///
/// Shared by the plugin generations (PluginGenerationDir holds a shared_ptr to it), so the
/// directory outlives every library loaded from it. Thread-safe after construction.
class PluginRuntimeDir : public std::enable_shared_from_this<PluginRuntimeDir> {
public:
    /// configured: plugins.runtime_dir as read, or "" for a private temporary directory.
    /// Throws ConfigError (the key and the directory named) for an unsafe or unusable one.
    static std::shared_ptr<PluginRuntimeDir> open(const std::string& configured);
    ~PluginRuntimeDir();
    PluginRuntimeDir(const PluginRuntimeDir&) = delete;
    PluginRuntimeDir& operator=(const PluginRuntimeDir&) = delete;

    const std::string& path() const noexcept { return _path; }
    /// True for the private temporary directory (removed when this object goes).
    bool isPrivate() const noexcept { return _private; }

    /// A new directory for the copies of one plugin generation: <path>/gen-<N>-XXXXXX, made
    /// with mkdtemp (0700, a name nobody could have planted). Throws msgbus::Error on failure.
    std::shared_ptr<PluginGenerationDir> newGeneration(std::uint64_t generation);

private:
    PluginRuntimeDir(std::string path, bool isPrivate);

    std::string _path;
    bool _private;
};

} // namespace msgbus::core
