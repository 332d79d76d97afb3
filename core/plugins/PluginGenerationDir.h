#pragma once

#include <memory>
#include <string>
#include <vector>

namespace msgbus::core {

class PluginRuntimeDir;

/// One plugin generation's directory inside the runtime directory, and the library copies in it.
///
/// Made by PluginRuntimeDir::newGeneration (mkdtemp, 0700). Each LoadedLibrary of the
/// generation holds a shared_ptr to it, so the destructor runs once the last library of the
/// generation is unloaded: it removes the files this object created, then the directory (only
/// when empty: nothing of anyone else's is ever removed). Not thread-safe while copies are being
/// made (one loader thread does that); removal is safe from any thread.
class PluginGenerationDir {
public:
    PluginGenerationDir(std::string path, std::shared_ptr<PluginRuntimeDir> runtime);
    ~PluginGenerationDir();
    PluginGenerationDir(const PluginGenerationDir&) = delete;
    PluginGenerationDir& operator=(const PluginGenerationDir&) = delete;

    const std::string& path() const noexcept { return _path; }

    /// Copies source to <path>/<pluginId>-<stem>-<sha256 prefix>.so and returns that path.
    /// The copy is written to a new file (O_CREAT | O_EXCL | O_NOFOLLOW): an existing file or a
    /// symlink at that name is never reused or followed. The name's hash is of the bytes
    /// actually copied, so it stays true while the source is being redeployed. Throws
    /// msgbus::Error naming the file.
    std::string copyIn(const std::string& source, const std::string& pluginId);

private:
    std::string _path;
    std::shared_ptr<PluginRuntimeDir> _runtime;
    std::vector<std::string> _created;
};

} // namespace msgbus::core
