#include "core/config/DefaultPluginDir.h"

#include <filesystem>
#include <system_error>

#if !defined(MSGBUS_DEFAULT_PLUGIN_DIR) || !defined(MSGBUS_BIN_TO_PLUGIN_DIR)
#error "MSGBUS_DEFAULT_PLUGIN_DIR and MSGBUS_BIN_TO_PLUGIN_DIR are set by core/CMakeLists.txt"
#endif

namespace msgbus::core {

std::string defaultPluginDir() {
    // Relative to the executable, because an installed tree is often not where it was configured
    // for: the Debian package puts a tree configured for /usr/local under /usr, and
    // `cmake --install --prefix P` anywhere. The compiled-in absolute path would then name a
    // directory without these plugins (or with another version's).
    std::error_code error;
    const auto executable = std::filesystem::read_symlink("/proc/self/exe", error);
    if (!error) {
        const auto dir = (executable.parent_path() / MSGBUS_BIN_TO_PLUGIN_DIR).lexically_normal();
        if (std::filesystem::is_directory(dir, error))
            return dir.string();
    }
    return MSGBUS_DEFAULT_PLUGIN_DIR;
}

} // namespace msgbus::core
