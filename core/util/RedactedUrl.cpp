#include "core/util/RedactedUrl.h"

#include <algorithm>
#include <cctype>

namespace msgbus::core {
namespace {

constexpr std::string_view kMask = "***";

bool isScheme(std::string_view text) {
    return !text.empty() && std::isalpha(static_cast<unsigned char>(text[0])) &&
           std::all_of(text.begin(), text.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' ||
                      c == '.';
           });
}

bool isPort(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

/// user:password → user:***; a user part holding a '/' is no user name (the '@' belonged to a
/// path or a mangled password), so all of it goes.
std::string userInfo(std::string_view info) {
    const auto colon = info.find(':');
    const auto user = info.substr(0, colon);
    if (user.find('/') != std::string_view::npos)
        return std::string(kMask);
    return colon == std::string_view::npos ? std::string(user)
                                           : std::string(user) + ":" + std::string(kMask);
}

/// host:port with a port that is not a number masked; IPv6 hosts are in brackets.
std::string hostPort(std::string_view text) {
    std::size_t colon = std::string_view::npos;
    if (!text.empty() && text[0] == '[' && text.find(']') != std::string_view::npos) {
        const auto close = text.find(']');
        if (close + 1 < text.size())
            colon = close + 1;
    } else {
        colon = text.find(':');
    }
    if (colon == std::string_view::npos || (text[colon] == ':' && isPort(text.substr(colon + 1))))
        return std::string(text);
    return std::string(text.substr(0, colon)) + ":" + std::string(kMask);
}

/// a=1&b=2 → a=***&b=***; a parameter that is only a value (no '=') is masked whole.
std::string query(std::string_view text) {
    std::string out;
    for (std::size_t pos = 0; pos <= text.size();) {
        auto end = text.find_first_of("&;", pos);
        if (end == std::string_view::npos)
            end = text.size();
        const auto parameter = text.substr(pos, end - pos);
        const auto equals = parameter.find('=');
        if (equals != std::string_view::npos)
            out += std::string(parameter.substr(0, equals + 1)) +
                   (equals + 1 < parameter.size() ? std::string(kMask) : std::string());
        else if (!parameter.empty())
            out += kMask;
        if (end < text.size())
            out += text[end];
        pos = end + 1;
    }
    return out;
}

} // namespace

std::string redactedUrl(std::string_view url) {
    const auto scheme = url.find("://");
    const std::size_t start =
        scheme != std::string_view::npos && isScheme(url.substr(0, scheme)) ? scheme + 3 : 0;
    std::string out(url.substr(0, start));
    const auto queryAt = std::min(url.find_first_of("?#", start), url.size());
    const auto head = url.substr(start, queryAt - start);
    std::size_t hostAt = 0;
    if (const auto at = head.rfind('@'); at != std::string_view::npos) {
        out += userInfo(head.substr(0, at)) + "@";
        hostAt = at + 1;
    }
    const auto pathAt = std::min(head.find('/', hostAt), head.size());
    out += hostPort(head.substr(hostAt, pathAt - hostAt));
    out += head.substr(pathAt);
    if (queryAt == url.size())
        return out;
    const auto fragmentAt = std::min(url.find('#', queryAt), url.size());
    if (url[queryAt] == '?')
        out += "?" + query(url.substr(queryAt + 1, fragmentAt - queryAt - 1));
    if (fragmentAt < url.size())
        out += fragmentAt + 1 < url.size() ? "#" + std::string(kMask) : std::string("#");
    return out;
}

} // namespace msgbus::core
