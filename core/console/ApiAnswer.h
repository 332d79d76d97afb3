#pragma once

#include "core/console/ApiExchange.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace msgbus::core::console {

/// A request a route refuses: status (4xx) and the text naming what was wrong. extraJson, when
/// not empty, is more members for the error object (",\"count\":12").
class ApiError : public std::runtime_error {
public:
    ApiError(int status, const std::string& text, std::string extraJson = {})
        : std::runtime_error(text), _status(status), _extraJson(std::move(extraJson)) {}
    int status() const noexcept { return _status; }
    const std::string& extraJson() const noexcept { return _extraJson; }

private:
    int _status;
    std::string _extraJson;
};

/// A JSON answer (status 200 unless given).
ApiResponse jsonAnswer(std::string body, int status = 200);

/// {"error":"<text>"} with status.
ApiResponse errorAnswer(int status, const std::string& text, const std::string& extraJson = {});

/// handler, with what it throws turned into an error answer: ApiError into its status, a lost
/// database connection into 503, anything else into 500; the text names the failure (database
/// and library errors carry no credentials).
std::function<ApiResponse(const ApiRequest&)>
answering(std::function<ApiResponse(const ApiRequest&)> handler);

/// Query parameters, checked: a bad value is an ApiError(400) naming the parameter.
class QueryParameters {
public:
    explicit QueryParameters(const ApiRequest& request) : _query(request.query) {}

    std::optional<std::string> text(const std::string& key) const;
    /// A whole number (milliseconds for times), or nothing when absent or empty.
    std::optional<std::int64_t> integer(const std::string& key) const;
    /// A whole number in [min, max], fallback when absent.
    std::int64_t integer(const std::string& key, std::int64_t fallback, std::int64_t min,
                         std::int64_t max) const;
    /// A comma-separated list (empty entries dropped).
    std::vector<std::string> list(const std::string& key) const;

private:
    const std::map<std::string, std::string>& _query;
};

/// JSON text of a value.
std::string jsonText(const std::string& text); ///< quoted, made valid UTF-8 first
std::string jsonText(const std::optional<std::string>& text);
std::string jsonText(const std::optional<std::int64_t>& number);
std::string jsonText(const std::vector<std::string>& texts);

} // namespace msgbus::core::console
