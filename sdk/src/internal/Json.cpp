#include "msgbus/internal/Json.h"

#include "msgbus/Error.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace msgbus::json {

bool isValidUtf8(std::string_view text) noexcept {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        std::uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n)
            return false;
        for (std::size_t k = 1; k < len; ++k) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

namespace {

Poco::Dynamic::Var parse(std::string_view text) {
    Poco::JSON::Parser parser;
    return parser.parse(std::string(text));
}

} // namespace

void requireObject(std::string_view text, const std::string& what) {
    if (!isValidUtf8(text))
        throw InvalidArgument(what + ": not valid UTF-8");
    Poco::Dynamic::Var value;
    try {
        value = parse(text);
    } catch (const Poco::Exception& e) {
        throw InvalidArgument(what + ": not valid JSON (" + e.displayText() + ")");
    } catch (const std::exception& e) {
        throw InvalidArgument(what + ": not valid JSON (" + e.what() + ")");
    }
    if (value.type() != typeid(Poco::JSON::Object::Ptr))
        throw InvalidArgument(what + ": a JSON object is required, got another JSON value");
}

bool isObject(std::string_view text) noexcept {
    try {
        requireObject(text, "json");
        return true;
    } catch (...) {
        return false;
    }
}

std::string quote(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size() + 2);
    out += '"';
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (u < 0x20) {
                out += "\\u00";
                out += hex[u >> 4];
                out += hex[u & 0xf];
            } else {
                out += c;
            }
        }
    }
    out += '"';
    return out;
}

std::string toObject(const Message::Headers& headers) {
    std::string out = "{";
    bool first = true;
    for (const auto& [key, value] : headers) {
        if (!first)
            out += ',';
        first = false;
        out += quote(key);
        out += ':';
        out += quote(value);
    }
    out += '}';
    return out;
}

Message::Headers headersFromObject(std::string_view text) {
    Message::Headers headers;
    if (text.empty())
        return headers;
    Poco::Dynamic::Var value;
    try {
        value = parse(text);
    } catch (const Poco::Exception& e) {
        throw InvalidArgument("headers: not valid JSON (" + e.displayText() + ")");
    }
    if (value.type() != typeid(Poco::JSON::Object::Ptr))
        throw InvalidArgument("headers: a JSON object is required");
    auto object = value.extract<Poco::JSON::Object::Ptr>();
    for (const auto& [key, v] : *object) {
        if (!v.isString())
            throw InvalidArgument("headers: value of '" + key + "' is not a string");
        headers[key] = v.extract<std::string>();
    }
    return headers;
}

} // namespace msgbus::json
