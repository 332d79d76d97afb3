#pragma once

#include "core/console/ApiRoutes.h"
#include "core/console/ConsoleContext.h"
#include "core/console/ConsoleSecurity.h"
#include "core/console/FailedActions.h"
#include "core/console/FailedPages.h"
#include "core/console/SignInThrottle.h"

#include <memory>
#include <optional>

namespace Poco::Net {
class HTTPRequestHandler;
class HTTPServerRequest;
class HTTPServerResponse;
} // namespace Poco::Net

namespace msgbus::core::console {

/// The operator console: its API routes, its security and its pages, behind one function that
/// makes a request handler, for `msgbus console`'s own server or a host's admin port.
/// Routes are added before the first request (addRoutes of other parts through routes());
/// requests are then served on the server's threads, several at once.
class Console {
public:
    /// authRequired: the server listens beyond loopback (ConsoleSettings::authRequired).
    Console(ConsoleContext context, bool authRequired);
    ~Console();
    Console(const Console&) = delete;
    Console& operator=(const Console&) = delete;

    /// The routes, for more parts of the API to add theirs before serving starts.
    ApiRoutes& routes() noexcept { return _routes; }

    /// A handler for request when it is the console's ("/", "/index.html", "/assets/...",
    /// "/api/..."), else nullptr. The caller owns the handler.
    Poco::Net::HTTPRequestHandler* handlerFor(const Poco::Net::HTTPServerRequest& request);

    /// Answers one request (what the handler runs); never throws.
    void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

    /// The largest request body read (an action's ids: 10,000 ids are about 100 KB).
    static constexpr std::size_t kMaxBody = 1024 * 1024;

    const ConsoleSecurity& security() const noexcept { return _security; }
    const ConsoleContext& context() const noexcept { return _context; }

private:
    ApiResponse session(const ApiRequest& request) const;
    /// The answer to an /api/ request by user (authenticated).
    ApiResponse api(Poco::Net::HTTPServerRequest& request, const std::string& user);
    /// 429 while the request's address is blocked for failed sign-ins.
    std::optional<ApiResponse> throttled(const Poco::Net::HTTPServerRequest& request);
    void countSignIn(const Poco::Net::HTTPServerRequest& request, bool signedIn);

    ConsoleContext _context;
    ConsoleSecurity _security;
    FailedPages _pages;
    FailedActions _actions;
    ApiRoutes _routes;
    SignInThrottle _signIns;
};

} // namespace msgbus::core::console
