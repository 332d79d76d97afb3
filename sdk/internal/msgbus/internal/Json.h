#pragma once

/// Host helper, not part of the plugin contract (never installed): the JSON checks the host and
/// the SDK's own code share, and the codec of the outbox headers column, which the OutboxWriter
/// and the relay must agree on byte for byte.

#include "msgbus/Export.h"

#include "msgbus/Message.h"

#include <string>
#include <string_view>

namespace msgbus::json {

/// True when text is valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
MSGBUS_API bool isValidUtf8(std::string_view text) noexcept;

/// Throws InvalidArgument(what + ": ...") unless text is a JSON object.
MSGBUS_API void requireObject(std::string_view text, const std::string& what);

/// True when text parses as a JSON object.
MSGBUS_API bool isObject(std::string_view text) noexcept;

/// Quotes and escapes a string as a JSON string literal.
MSGBUS_API std::string quote(std::string_view text);

/// {"k":"v",...} for string headers, and back. headersFromObject throws InvalidArgument on
/// non-string values or text that is not an object.
MSGBUS_API std::string toObject(const Message::Headers& headers);
MSGBUS_API Message::Headers headersFromObject(std::string_view text);

} // namespace msgbus::json
