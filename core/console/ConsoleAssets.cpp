#include "core/console/ConsoleAssets.h"

#include "core/console/EmbeddedAssets.h"

namespace msgbus::core::console {

const Asset* findAsset(const std::string& path) {
    // A handful of files: a scan beats building an index at start-up.
    for (std::size_t i = 0; i < kEmbeddedAssetCount; ++i)
        if (path == kEmbeddedAssets[i].path)
            return &kEmbeddedAssets[i];
    return nullptr;
}

} // namespace msgbus::core::console
