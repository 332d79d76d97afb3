#include "core/console/ApiAnswer.h"

#include "core/db/DbErrors.h"
#include "core/util/ErrorText.h"
#include "core/util/Utf8Text.h"

#include <msgbus/internal/Json.h>

#include <Poco/Logger.h>
#include <Poco/NumberParser.h>

namespace msgbus::core::console {

ApiResponse jsonAnswer(std::string body, int status) {
    ApiResponse response;
    response.status = status;
    response.body = std::move(body);
    return response;
}

ApiResponse errorAnswer(int status, const std::string& text, const std::string& extraJson) {
    return jsonAnswer("{\"error\":" + jsonText(text) + extraJson + "}", status);
}

std::function<ApiResponse(const ApiRequest&)>
answering(std::function<ApiResponse(const ApiRequest&)> handler) {
    return [handler = std::move(handler)](const ApiRequest& request) {
        try {
            return handler(request);
        } catch (const ApiError& e) {
            return errorAnswer(e.status(), e.what(), e.extraJson());
        } catch (const std::exception& e) {
            const std::string text = request.path + ": " + errorText(e);
            Poco::Logger::get("msgbus.console").warning("%s", text);
            return errorAnswer(isConnectionLost(e) ? 503 : 500, text);
        }
    };
}

std::optional<std::string> QueryParameters::text(const std::string& key) const {
    auto it = _query.find(key);
    if (it == _query.end() || it->second.empty())
        return std::nullopt;
    return it->second;
}

std::optional<std::int64_t> QueryParameters::integer(const std::string& key) const {
    auto value = text(key);
    if (!value)
        return std::nullopt;
    Poco::Int64 number = 0;
    if (!Poco::NumberParser::tryParse64(*value, number))
        throw ApiError(400, "query parameter " + key + "='" + lossyUtf8(*value) +
                                "' is not a whole number");
    return number;
}

std::int64_t QueryParameters::integer(const std::string& key, std::int64_t fallback,
                                      std::int64_t min, std::int64_t max) const {
    const std::int64_t value = integer(key).value_or(fallback);
    if (value < min || value > max)
        throw ApiError(400, "query parameter " + key + "=" + std::to_string(value) +
                                " is outside " + std::to_string(min) + ".." + std::to_string(max));
    return value;
}

std::vector<std::string> QueryParameters::list(const std::string& key) const {
    std::vector<std::string> out;
    const std::string value = text(key).value_or("");
    for (std::size_t start = 0; start <= value.size();) {
        std::size_t comma = value.find(',', start);
        if (comma == std::string::npos)
            comma = value.size();
        std::string item = value.substr(start, comma - start);
        while (!item.empty() && item.front() == ' ')
            item.erase(0, 1);
        while (!item.empty() && item.back() == ' ')
            item.pop_back();
        if (!item.empty())
            out.push_back(item);
        start = comma + 1;
    }
    return out;
}

std::string jsonText(const std::string& text) {
    return json::quote(lossyUtf8(text));
}

std::string jsonText(const std::optional<std::string>& text) {
    return text ? jsonText(*text) : "null";
}

std::string jsonText(const std::optional<std::int64_t>& number) {
    return number ? std::to_string(*number) : "null";
}

std::string jsonText(const std::vector<std::string>& texts) {
    std::string out = "[";
    for (const auto& text : texts)
        out += (out.size() > 1 ? "," : "") + jsonText(text);
    return out + "]";
}

} // namespace msgbus::core::console
