#pragma once

#include "core/console/ApiExchange.h"

#include <functional>
#include <string>
#include <vector>

namespace msgbus::core::console {

/// The console's API routes: each answers one method on one path, or on every path under a
/// prefix ending in '/' ("/api/failed/messages/" answers "/api/failed/messages/42").
class ApiRoutes {
public:
    using Handler = std::function<ApiResponse(const ApiRequest&)>;

    void add(std::string method, std::string pathOrPrefix, Handler handler) {
        _routes.push_back({std::move(method), std::move(pathOrPrefix), std::move(handler)});
    }

    /// The handler for method and path: an exact path first, then the longest prefix; nullptr
    /// when none answers.
    const Handler* find(const std::string& method, const std::string& path) const {
        const Route* best = nullptr;
        for (const auto& r : _routes) {
            if (r.method != method)
                continue;
            if (r.path == path)
                return &r.handler;
            if (!r.path.empty() && r.path.back() == '/' && path.rfind(r.path, 0) == 0 &&
                (!best || r.path.size() > best->path.size()))
                best = &r;
        }
        return best ? &best->handler : nullptr;
    }

private:
    struct Route {
        std::string method;
        std::string path;
        Handler handler;
    };
    std::vector<Route> _routes;
};

} // namespace msgbus::core::console
