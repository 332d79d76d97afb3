#include "core/console/Console.h"

#include "core/console/JsonText.h"
#include "core/console/StaticFiles.h"
#include "core/util/ErrorText.h"

#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <istream>

namespace msgbus::core::console {
namespace {

class ConsoleHandler : public Poco::Net::HTTPRequestHandler {
public:
    explicit ConsoleHandler(Console& console) : _console(console) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        _console.handle(request, response);
    }

private:
    Console& _console;
};

bool isConsolePath(const std::string& path) {
    return path == "/" || path == "/index.html" || path.rfind("/assets/", 0) == 0 ||
           path.rfind("/api/", 0) == 0;
}

std::string pathOf(const std::string& uri) {
    return uri.substr(0, uri.find('?'));
}

void send(Poco::Net::HTTPServerResponse& response, const ApiResponse& answer) {
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
    std::string type = answer.contentType;
    if (type == "application/json")
        type += "; charset=utf-8";
    response.setContentType(type);
    // Nothing the console answers may be cached, framed or guessed at.
    response.set("Cache-Control", "no-store");
    response.set("X-Content-Type-Options", "nosniff");
    response.set("X-Frame-Options", "DENY");
    response.set("Referrer-Policy", "no-referrer");
    response.set("Content-Security-Policy",
                 "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                 "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    for (const auto& [name, value] : answer.headers)
        response.set(name, value);
    response.setContentLength(static_cast<std::streamsize>(answer.body.size()));
    response.send() << answer.body;
}

std::string readBody(Poco::Net::HTTPServerRequest& request) {
    std::string body;
    char buffer[8192];
    std::istream& in = request.stream();
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        body.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (body.size() > Console::kMaxBody)
            throw ApiError(413, "the request body is over " + std::to_string(Console::kMaxBody) +
                                    " bytes");
    }
    return body;
}

} // namespace

Console::Console(ConsoleContext context, bool authRequired)
    : _context(std::move(context)), _security(_context.settings.console, authRequired),
      _pages(_context), _actions(_context) {
    _routes.add("GET", "/api/session", [this](const ApiRequest& r) { return session(r); });
    _routes.add("GET", "/api/failed/groups",
                [this](const ApiRequest& r) { return _pages.groups(r); });
    _routes.add("GET", "/api/failed/messages",
                [this](const ApiRequest& r) { return _pages.messages(r); });
    _routes.add("GET", "/api/failed/messages/",
                [this](const ApiRequest& r) { return _pages.message(r); });
    _routes.add("POST", "/api/failed/actions",
                [this](const ApiRequest& r) { return _actions.act(r); });
    _routes.add("GET", "/api/actions", [this](const ApiRequest& r) { return _actions.list(r); });
}

Console::~Console() = default;

Poco::Net::HTTPRequestHandler* Console::handlerFor(const Poco::Net::HTTPServerRequest& request) {
    return isConsolePath(pathOf(request.getURI())) ? new ConsoleHandler(*this) : nullptr;
}

ApiResponse Console::session(const ApiRequest& request) const {
    return jsonResponse("{\"user\":" + jsonString(request.user) +
                        ",\"read_only\":" + (request.readOnly ? "true" : "false") +
                        ",\"csrf\":" + jsonString(_security.csrfFor(request.user)) +
                        ",\"version\":" + jsonString(_context.version) +
                        ",\"trace_url\":" + jsonString(_context.settings.console.traceUrl) + "}");
}

ApiResponse Console::api(Poco::Net::HTTPServerRequest& request, const std::string& user) {
    const std::string& method = request.getMethod();
    if (method != "GET" && method != "POST")
        return errorResponse(405, "method " + method + " is not allowed (GET or POST)");
    ApiRequest api;
    api.method = method;
    api.user = user;
    api.readOnly = _security.readOnly();
    try {
        const Poco::URI uri(request.getURI());
        api.path = uri.getPath();
        for (const auto& [name, value] : uri.getQueryParameters())
            api.query[name] = value;
    } catch (const Poco::SyntaxException&) {
        return errorResponse(400, "the request's URI cannot be parsed");
    }
    if (method == "POST") {
        const auto verdict = _security.checkMutation(request, user);
        if (verdict.status != 0)
            return errorResponse(verdict.status, verdict.error);
        api.body = readBody(request);
    }
    const auto* handler = _routes.find(method, api.path);
    if (!handler)
        return errorResponse(404, "no API " + method + " " + api.path);
    return (*handler)(api);
}

std::optional<ApiResponse> Console::throttled(const Poco::Net::HTTPServerRequest& request) {
    const auto wait = _signIns.blockedFor(request.clientAddress().host().toString(),
                                          SignInThrottle::Clock::now());
    if (wait.count() == 0)
        return std::nullopt;
    const auto seconds = (wait.count() + 999) / 1000;
    ApiResponse answer =
        errorResponse(429, "too many failed sign-ins from this address: try again in " +
                               std::to_string(seconds) + " s");
    answer.headers["Retry-After"] = std::to_string(seconds);
    return answer;
}

void Console::countSignIn(const Poco::Net::HTTPServerRequest& request, bool signedIn) {
    const std::string address = request.clientAddress().host().toString();
    if (signedIn)
        _signIns.succeeded(address);
    else if (request.has("Authorization")) // a page's first request carries none: no guess
        _signIns.failed(address, SignInThrottle::Clock::now());
}

void Console::handle(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) {
    ApiResponse answer;
    const std::string path = pathOf(request.getURI());
    try {
        // The pages themselves hold no data and no secret, and they carry the sign-in form
        // for a token: only the API they call needs the credentials.
        const bool isApi = path.rfind("/api/", 0) == 0;
        const bool guarded = isApi && _security.authRequired();
        // A blocked address's credentials are not even looked at: a guess costs the wait.
        const auto refused = guarded ? throttled(request) : std::nullopt;
        const auto verdict =
            isApi && !refused ? _security.authenticate(request) : ConsoleSecurity::Verdict{};
        if (guarded && !refused)
            countSignIn(request, verdict.status == 0);
        if (refused) {
            answer = *refused;
        } else if (verdict.status != 0) {
            answer = errorResponse(verdict.status, verdict.error);
            // A browser asks for a user and password only where there are users to be: with a
            // token alone, the page's own sign-in form asks for it.
            if (verdict.status == 401 && !_context.settings.console.users.empty())
                answer.headers["WWW-Authenticate"] =
                    "Basic realm=\"msgbus console\", charset=\"UTF-8\"";
        } else if (isApi) {
            answer = api(request, verdict.user);
        } else if (request.getMethod() != "GET" && request.getMethod() != "HEAD") {
            answer = errorResponse(405, "pages answer GET only");
        } else if (auto file = staticFile(path)) {
            answer.contentType = file->contentType;
            answer.body = std::move(file->body);
        } else {
            answer = errorResponse(404, "no page " + path);
        }
    } catch (const ApiError& e) {
        answer = errorResponse(e.status(), e.what(), e.extraMembers());
    } catch (...) {
        // The database's text, never a body or a credential: those are not in its errors.
        const std::string error = currentErrorText();
        Poco::Logger::get("msgbus.console")
            .error("%s %s failed: %s", request.getMethod(), path, error);
        answer = errorResponse(500, error);
    }
    try {
        send(response, answer);
    } catch (const std::exception&) {
        // The client went away: nobody to answer.
    }
}

} // namespace msgbus::core::console
