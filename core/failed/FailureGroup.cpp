#include "core/failed/FailureGroup.h"

#include "core/failed/GuardedChange.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA1Engine.h>

namespace msgbus::core {
namespace {

bool isHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

bool isAlnum(char c) {
    return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/// True when text at pos holds a UUID (8-4-4-4-12 hex digits) not glued to other letters or
/// digits.
bool uuidAt(std::string_view text, std::size_t pos) {
    static constexpr std::size_t groups[] = {8, 4, 4, 4, 12};
    std::size_t i = pos;
    for (std::size_t g = 0; g < 5; ++g) {
        if (g > 0) {
            if (i >= text.size() || text[i] != '-')
                return false;
            ++i;
        }
        for (std::size_t n = 0; n < groups[g]; ++n, ++i)
            if (i >= text.size() || !isHex(text[i]))
                return false;
    }
    return i == text.size() || !isAlnum(text[i]);
}

/// The replacement of one run of letters and digits.
void appendToken(std::string& out, std::string_view token) {
    bool digit = false, allHex = true;
    for (char c : token) {
        digit = digit || isDigit(c);
        allHex = allHex && isHex(c);
    }
    const bool hexNumber =
        token.size() > 2 && token[0] == '0' && (token[1] == 'x' || token[1] == 'X') &&
        token.substr(2).find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
    if (hexNumber || (digit && ((allHex && token.size() >= 8) || token.size() >= 16))) {
        out += "<id>";
        return;
    }
    for (std::size_t i = 0; i < token.size();) {
        if (!isDigit(token[i])) {
            out += token[i++];
            continue;
        }
        while (i < token.size() && isDigit(token[i]))
            ++i;
        out += '#';
    }
}

} // namespace

std::string FailureGroup::normalised(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        if (!isAlnum(text[i])) {
            out += text[i++];
            continue;
        }
        if (uuidAt(text, i)) {
            out += "<uuid>";
            i += 36;
            continue;
        }
        std::size_t end = i;
        while (end < text.size() && isAlnum(text[end]))
            ++end;
        appendToken(out, text.substr(i, end - i));
        i = end;
    }
    return out;
}

std::string FailureGroup::keyOf(const std::optional<std::string>& messageName,
                                const std::string& source, const std::string& errorClass,
                                const std::string& errorMessage) {
    Poco::SHA1Engine sha;
    // Each part with its length first: no two different tuples give the same bytes.
    const auto part = [&sha](std::string_view text) {
        const std::string length = std::to_string(text.size()) + ":";
        sha.update(length.data(), length.size());
        sha.update(text.data(), text.size());
    };
    part(messageName ? "n" + *messageName : "-");
    part(source);
    part(errorClass);
    // A row whose body could not be stored whole failed for the same reason as its group:
    // the storage note in front of its error is no part of the fault.
    part(normalised(withoutBodyNote(errorMessage)));
    return Poco::DigestEngine::digestToHex(sha.digest()).substr(0, kKeyLength);
}

bool FailureGroup::isKey(std::string_view text) {
    if (text.size() != kKeyLength)
        return false;
    for (char c : text)
        if (!isDigit(c) && !(c >= 'a' && c <= 'f'))
            return false;
    return true;
}

} // namespace msgbus::core
