#pragma once

#include "core/console/ApiExchange.h"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace msgbus::core::console {

/// text as a JSON string; bytes that are not UTF-8 become U+FFFD (stored texts come from the
/// network and from plugins).
std::string jsonString(std::string_view text);
std::string jsonString(const std::string& text);
std::string jsonString(const char* text);
/// jsonString, or null.
std::string jsonString(const std::optional<std::string>& text);
/// The number, or null.
std::string jsonNumber(const std::optional<std::int64_t>& value);

/// An error answer: {"error": text} (then extraMembers, JSON members, when given).
ApiResponse errorResponse(int status, const std::string& text,
                          const std::string& extraMembers = "");
/// A 200 JSON answer.
ApiResponse jsonResponse(std::string body);

/// Thrown by a route for bad input: the server answers status with {"error": what()} and
/// extraMembers (JSON members such as "\"count\":5", or "").
class ApiError : public std::runtime_error {
public:
    ApiError(int status, const std::string& text, std::string extraMembers = "")
        : std::runtime_error(text), _status(status), _extra(std::move(extraMembers)) {}
    int status() const noexcept { return _status; }
    const std::string& extraMembers() const noexcept { return _extra; }

private:
    int _status;
    std::string _extra;
};

} // namespace msgbus::core::console
