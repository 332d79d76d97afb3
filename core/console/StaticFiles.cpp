#include "core/console/StaticFiles.h"

// Included unconditionally: a build always embeds the pages (core/CMakeLists.txt generates the
// table). An `#if __has_include` here once let ccache hand back an object compiled where the
// header did not exist yet, and the binary served no pages at all.
#include "core/console/ConsoleAssets.h"

namespace msgbus::core::console {

std::optional<StaticFile> staticFile(const std::string& path) {
    const Asset* asset = findAsset(path == "/" ? std::string("/index.html") : path);
    if (!asset)
        return std::nullopt;
    return StaticFile{asset->contentType,
                      std::string(reinterpret_cast<const char*>(asset->data), asset->size)};
}

} // namespace msgbus::core::console
