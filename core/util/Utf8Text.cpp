#include "core/util/Utf8Text.h"

#include <msgbus/internal/Json.h>

namespace msgbus::core {
namespace {

// The length of the valid UTF-8 sequence starting at i, 0 when none starts there.
std::size_t sequenceLength(std::string_view text, std::size_t i) {
    for (std::size_t len = 1; len <= 4 && i + len <= text.size(); ++len)
        if (msgbus::json::isValidUtf8(text.substr(i, len)))
            return len;
    return 0;
}

} // namespace

std::string lossyUtf8(std::string_view text) {
    if (msgbus::json::isValidUtf8(text))
        return std::string(text);
    std::string out;
    out.reserve(text.size() + 8);
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t len = sequenceLength(text, i);
        if (len == 0) {
            out += "\xef\xbf\xbd";
            ++i;
        } else {
            out.append(text.substr(i, len));
            i += len;
        }
    }
    return out;
}

std::string_view utf8Prefix(std::string_view text, std::size_t maxBytes) {
    if (text.size() <= maxBytes)
        return text;
    std::size_t end = maxBytes;
    // Step back over continuation bytes (10xxxxxx) to the start of the cut sequence.
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80)
        --end;
    return text.substr(0, end);
}

std::string storableText(std::string_view text, std::size_t maxBytes) {
    std::string clean = lossyUtf8(text);
    if (clean.size() <= maxBytes)
        return clean;
    const std::string marker = " [cut: " + std::to_string(clean.size()) + " bytes in all]";
    const std::size_t room = maxBytes > marker.size() ? maxBytes - marker.size() : 0;
    return std::string(utf8Prefix(clean, room)) + marker;
}

} // namespace msgbus::core
