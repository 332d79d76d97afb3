#include "core/console/JsonText.h"

#include "core/util/Utf8Text.h"

#include <msgbus/internal/Json.h>

namespace msgbus::core::console {

std::string jsonString(std::string_view text) {
    return json::quote(lossyUtf8(text));
}

std::string jsonString(const std::string& text) {
    return jsonString(std::string_view(text));
}

std::string jsonString(const char* text) {
    return jsonString(std::string_view(text));
}

std::string jsonString(const std::optional<std::string>& text) {
    return text ? jsonString(*text) : "null";
}

std::string jsonNumber(const std::optional<std::int64_t>& value) {
    return value ? std::to_string(*value) : "null";
}

ApiResponse errorResponse(int status, const std::string& text, const std::string& extraMembers) {
    ApiResponse response;
    response.status = status;
    response.body =
        "{\"error\":" + jsonString(text) + (extraMembers.empty() ? "" : "," + extraMembers) + "}";
    return response;
}

ApiResponse jsonResponse(std::string body) {
    ApiResponse response;
    response.body = std::move(body);
    return response;
}

} // namespace msgbus::core::console
