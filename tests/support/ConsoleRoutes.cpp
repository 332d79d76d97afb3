#include "support/ConsoleRoutes.h"

#include <Poco/JSON/Parser.h>

#include <cppunit/TestAssert.h>

namespace msgbus::test {

ConsoleRoutes::ConsoleRoutes(const core::console::OperationsContext& context) {
    core::console::addOperationsRoutes(routes, context);
}

core::console::ApiResponse ConsoleRoutes::call(const std::string& method, const std::string& path,
                                               const std::map<std::string, std::string>& query,
                                               const std::string& body, bool readOnly,
                                               const std::string& user) const {
    const auto* handler = routes.find(method, path);
    CPPUNIT_ASSERT_MESSAGE("no route answers " + method + " " + path, handler != nullptr);
    core::console::ApiRequest request;
    request.method = method;
    request.path = path;
    request.query = query;
    request.body = body;
    request.readOnly = readOnly;
    request.user = user;
    return (*handler)(request);
}

Poco::JSON::Object::Ptr ConsoleRoutes::get(const std::string& path,
                                           const std::map<std::string, std::string>& query) const {
    const auto response = call("GET", path, query);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 200, response.status);
    return jsonObjectOf(response);
}

Poco::JSON::Object::Ptr jsonObjectOf(const core::console::ApiResponse& response) {
    CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, std::string("application/json"),
                                 response.contentType);
    try {
        auto object = Poco::JSON::Parser().parse(response.body).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_MESSAGE(response.body, !object.isNull());
        return object;
    } catch (const Poco::Exception& e) {
        CPPUNIT_FAIL("not a JSON object (" + e.displayText() + "): " + response.body);
    }
    return nullptr;
}

} // namespace msgbus::test
