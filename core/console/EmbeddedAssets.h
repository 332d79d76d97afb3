#pragma once

#include "core/console/ConsoleAssets.h"

#include <cstddef>

namespace msgbus::core::console {

/// The table of embedded files, generated at build time by core/console/EmbedConsoleAssets.cmake
/// (one entry per file of core/console/assets, sorted by path). Read it through findAsset().
extern const Asset kEmbeddedAssets[];
extern const std::size_t kEmbeddedAssetCount;

} // namespace msgbus::core::console
