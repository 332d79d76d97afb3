#include "core/console/BodyView.h"

#include "core/util/Utf8Text.h"

#include <msgbus/internal/Json.h>

#include <Poco/JSON/Parser.h>

#include <cstdio>

namespace msgbus::core::console {
namespace {

bool isJson(const std::string& text) {
    try {
        Poco::JSON::Parser parser;
        parser.parse(text);
        return true;
    } catch (...) {
        return false;
    }
}

/// Valid UTF-8 with no control character other than line ends and tabs: a body a person reads
/// as text.
bool isReadableText(std::string_view text) {
    if (!json::isValidUtf8(text))
        return false;
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\n' && c != '\r' && c != '\t') || u == 0x7f)
            return false;
    }
    return true;
}

void newline(std::string& out, int depth) {
    out += '\n';
    out.append(static_cast<std::size_t>(depth) * 2, ' ');
}

} // namespace

std::string BodyView::pretty(const std::string& json) {
    std::string out;
    out.reserve(json.size() * 2);
    int depth = 0;
    for (std::size_t i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (c == '"') {
            const std::size_t start = i++;
            while (i < json.size() && json[i] != '"')
                i += json[i] == '\\' ? 2 : 1;
            out.append(json, start, i - start + 1);
            continue;
        }
        switch (c) {
        case ' ':
        case '\t':
        case '\n':
        case '\r':
            break;
        case '{':
        case '[': {
            // An empty object or array stays on its line.
            std::size_t next = json.find_first_not_of(" \t\r\n", i + 1);
            if (next != std::string::npos && (json[next] == '}' || json[next] == ']')) {
                out += c;
                out += json[next];
                i = next;
                break;
            }
            out += c;
            newline(out, ++depth);
            break;
        }
        case '}':
        case ']':
            newline(out, --depth);
            out += c;
            break;
        case ',':
            out += c;
            newline(out, depth);
            break;
        case ':':
            out += ": ";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string BodyView::hexDump(const std::string& bytes) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 5);
    for (std::size_t line = 0; line < bytes.size(); line += 16) {
        char offset[16];
        std::snprintf(offset, sizeof offset, "%08zx  ", line);
        out += offset;
        std::string printable;
        for (std::size_t i = line; i < line + 16; ++i) {
            if (i < bytes.size()) {
                const auto u = static_cast<unsigned char>(bytes[i]);
                out += hex[u >> 4];
                out += hex[u & 0xf];
                out += ' ';
                printable += (u >= 0x20 && u < 0x7f) ? static_cast<char>(u) : '.';
            } else {
                out += "   ";
            }
            if (i == line + 7)
                out += ' ';
        }
        out += " |" + printable + "|\n";
    }
    return out;
}

BodyView BodyView::of(const std::string& body) {
    BodyView view;
    view.size = body.size();
    if (body.size() <= kShownBytes && isJson(body)) {
        view.kind = "json";
        view.text = pretty(body);
        view.shown = body.size();
        return view;
    }
    const std::string_view head = std::string_view(body).substr(0, kShownBytes);
    // A cut may split a UTF-8 sequence: the text stops before it.
    const std::string_view text = body.size() > kShownBytes ? utf8Prefix(head, kShownBytes) : head;
    if (isReadableText(text)) {
        view.kind = "text";
        view.text = std::string(text);
        view.shown = text.size();
    } else {
        view.kind = "hex";
        view.text = hexDump(std::string(head));
        view.shown = head.size();
    }
    view.cut = view.shown < view.size;
    return view;
}

} // namespace msgbus::core::console
