#include "msgbus/internal/PrintableText.h"

#include <algorithm>

namespace msgbus {

std::string printableText(std::string_view text, std::size_t maxBytes) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(std::min(text.size(), maxBytes));
    for (char c : text.substr(0, maxBytes)) {
        auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f) {
            out += c;
        } else {
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 0xf];
        }
    }
    if (text.size() > maxBytes)
        out += "...";
    return out;
}

} // namespace msgbus
