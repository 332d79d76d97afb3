#pragma once

#include <optional>
#include <string>

namespace msgbus::core::console {

/// A page or asset of the console, embedded in the binary (no CDN, no file to install).
struct StaticFile {
    std::string contentType;
    std::string body;
};

/// The file for a GET of path: "/" is "/index.html"; the rest is "/index.html" or
/// "/assets/<file>". nullopt when there is none.
std::optional<StaticFile> staticFile(const std::string& path);

} // namespace msgbus::core::console
