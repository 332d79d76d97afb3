#pragma once

#include <string>

namespace msgbus::core::console {

/// One file of the console's pages, compiled into the binary from core/console/assets at build
/// time, so a console needs no files on disk and never fetches anything from the network.
struct Asset {
    const char* path;        ///< "/index.html", "/assets/app.js"
    const char* contentType; ///< "text/javascript; charset=utf-8", from the file's extension
    const unsigned char* data;
    unsigned long size;
};

/// The embedded file at path ("/index.html", "/assets/app.js"), or nullptr. Only exact paths
/// match ("/assets/../x" and "/assets/app.js?v=1" find nothing), so no request path can reach
/// anything but the embedded files. The table is static: the pointer stays valid for the life
/// of the process, and lookups are safe from any thread.
const Asset* findAsset(const std::string& path);

} // namespace msgbus::core::console
