#include "core/util/Utf8Text.h"

#include <msgbus/internal/Json.h>

#include <algorithm>

namespace msgbus::core {
namespace {

// The length of the valid UTF-8 sequence starting at i, 0 when none starts there.
std::size_t sequenceLength(std::string_view text, std::size_t i) {
    for (std::size_t len = 1; len <= 4 && i + len <= text.size(); ++len)
        if (msgbus::json::isValidUtf8(text.substr(i, len)))
            return len;
    return 0;
}

void appendHex(std::string& out, const char* prefix, unsigned value, int digits) {
    static constexpr char hex[] = "0123456789abcdef";
    out += prefix;
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
        out += hex[(value >> shift) & 0xf];
}

/// Appends the escape of the one-byte character c; false (nothing appended) when c is printable.
bool appendAsciiEscape(std::string& out, unsigned char c) {
    if (c >= 0x20 && c != 0x7f)
        return false;
    if (c == '\n')
        out += "\\n";
    else if (c == '\r')
        out += "\\r";
    else if (c == '\t')
        out += "\\t";
    else
        appendHex(out, "\\x", c, 2);
    return true;
}

/// The code point of a valid UTF-8 sequence that breaks or controls a line (C1
/// controls U+0080..U+009F, U+2028, U+2029), or 0.
unsigned lineBreakingCodePoint(std::string_view sequence) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(sequence[i]); };
    if (sequence.size() == 2 && byte(0) == 0xc2 && byte(1) < 0xa0)
        return byte(1);
    if (sequence.size() == 3 && byte(0) == 0xe2 && byte(1) == 0x80 &&
        (byte(2) == 0xa8 || byte(2) == 0xa9))
        return 0x2000u + (byte(2) - 0x80u);
    return 0;
}

} // namespace

std::string singleLineText(std::string_view text) {
    // Printable ASCII only, whatever the signedness of char: any other byte takes the long way.
    if (std::all_of(text.begin(), text.end(), [](char c) {
            const auto byte = static_cast<unsigned char>(c);
            return byte >= 0x20 && byte < 0x7f;
        }))
        return std::string(text);
    std::string out;
    out.reserve(text.size() + 16);
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t len = sequenceLength(text, i);
        const auto c = static_cast<unsigned char>(text[i]);
        if (len == 0) {
            appendHex(out, "\\x", c, 2);
            ++i;
            continue;
        }
        const auto sequence = text.substr(i, len);
        i += len;
        if (len == 1 && appendAsciiEscape(out, c))
            continue;
        if (const unsigned codePoint = lineBreakingCodePoint(sequence); codePoint != 0)
            appendHex(out, "\\u", codePoint, 4);
        else
            out.append(sequence);
    }
    return out;
}

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
