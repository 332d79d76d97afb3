#pragma once

#include "core/console/ApiRoutes.h"
#include "core/console/OperationsRoutes.h"

#include <Poco/JSON/Object.h>

#include <map>
#include <string>

namespace msgbus::test {

/// The console's operations routes over a test's database and settings, called as the server
/// calls them (ApiRequest in, ApiResponse out): no HTTP in between.
struct ConsoleRoutes {
    core::console::ApiRoutes routes;

    explicit ConsoleRoutes(const core::console::OperationsContext& context);

    core::console::ApiResponse call(const std::string& method, const std::string& path,
                                    const std::map<std::string, std::string>& query = {},
                                    const std::string& body = "", bool readOnly = false,
                                    const std::string& user = "") const;

    /// GET path; asserts status 200 and a JSON object, returns it.
    Poco::JSON::Object::Ptr get(const std::string& path,
                                const std::map<std::string, std::string>& query = {}) const;
};

/// The body of a JSON answer as an object (asserts it is one).
Poco::JSON::Object::Ptr jsonObjectOf(const core::console::ApiResponse& response);

} // namespace msgbus::test
