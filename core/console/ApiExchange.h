#pragma once

#include <map>
#include <string>

namespace msgbus::core::console {

/// One console API request, as the server hands it to a route: already authenticated (user is
/// who made it) and, for a mutating method, already checked for its CSRF token and origin.
struct ApiRequest {
    std::string method;                       ///< "GET", "POST"
    std::string path;                         ///< "/api/outbox/summary", without the query string
    std::map<std::string, std::string> query; ///< decoded query parameters
    std::string body;                         ///< the request body (JSON for POST)
    std::string user;                         ///< "" when loopback without authentication
    bool readOnly = false;                    ///< console.read_only: mutating routes refuse
};

/// A route's answer. body is JSON unless contentType says otherwise (CSV exports).
struct ApiResponse {
    int status = 200;
    std::string contentType = "application/json";
    std::string body;
    std::map<std::string, std::string> headers; ///< extra headers (Content-Disposition)
};

} // namespace msgbus::core::console
