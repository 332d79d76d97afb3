#pragma once

#include <string>
#include <string_view>

namespace msgbus::core {

/// url as it may be shown in a log line, an error or a command's output: the password of the
/// user info and the value of every query parameter become "***" (a parameter without '=' and
/// a fragment as a whole too), the user name, host, port and path stay.
///   https://mgmt:s3cret@mq:15671/api?api_key=k&x=1  →
///   https://mgmt:***@mq:15671/api?api_key=***&x=***
/// Secrets travel in those parts (Basic auth user info, API keys in queries), and a URL is
/// quoted wherever it is wrong, so every URL msgbus prints goes through here.
///
/// Never throws. Malformed text is masked conservatively, never shown more: the user info ends
/// at the last '@' before any '?' or '#' (so a raw '@' or '/' in a password is still inside
/// it), a port that is not a number is masked (it may be a password whose '@' is missing), and
/// text without a scheme is read as if "scheme://" came first.
std::string redactedUrl(std::string_view url);

} // namespace msgbus::core
