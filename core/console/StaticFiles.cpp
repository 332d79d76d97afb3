#include "core/console/StaticFiles.h"

#if __has_include("core/console/ConsoleAssets.h")
#include "core/console/ConsoleAssets.h"
#define MSGBUS_CONSOLE_ASSETS 1
#endif

namespace msgbus::core::console {

#ifdef MSGBUS_CONSOLE_ASSETS

std::optional<StaticFile> staticFile(const std::string& path) {
    const Asset* asset = findAsset(path == "/" ? std::string("/index.html") : path);
    if (!asset)
        return std::nullopt;
    return StaticFile{asset->contentType,
                      std::string(reinterpret_cast<const char*>(asset->data), asset->size)};
}

#else

std::optional<StaticFile> staticFile(const std::string& path) {
    if (path != "/" && path != "/index.html")
        return std::nullopt;
    return StaticFile{"text/html; charset=utf-8",
                      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                      "<title>msgbus console</title></head><body><h1>msgbus console</h1>"
                      "<p>This build has no console pages. The API answers under "
                      "<a href=\"/api/session\">/api/</a>: /api/failed/groups, "
                      "/api/failed/messages, /api/actions.</p></body></html>\n"};
}

#endif

} // namespace msgbus::core::console
