#include "Envelope.h"

#include <msgbus/Error.h>
#include <msgbus/MessageName.h>
#include <msgbus/internal/PrintableText.h>

namespace msgbus::plugins::envelope {
namespace {

char lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

bool isStampHeader(std::string_view key) noexcept {
    return key.size() >= stampPrefix.size() &&
           equalsIgnoreCase(key.substr(0, stampPrefix.size()), stampPrefix);
}

} // namespace

bool isReservedHeader(std::string_view key) noexcept {
    return key == headerId || key == headerName || key == headerCreatedAt ||
           key == headerPartitionKey || key == headerType ||
           equalsIgnoreCase(key, headerContentType) || isStampHeader(key);
}

bool isIdStampHeader(std::string_view key) noexcept {
    if (!isStampHeader(key))
        return false;
    std::string_view cls = key.substr(stampPrefix.size());
    if (cls == idStampClass)
        return true;
    return cls.size() > idStampClass.size() && cls.ends_with(idStampClass) &&
           cls[cls.size() - idStampClass.size() - 1] == '\\';
}

std::string headerField(std::string_view key) {
    return "header " + printableText(key);
}

void checkName(std::string_view name, const std::string& field) {
    try {
        validateMessageName(name);
    } catch (const InvalidArgument& e) {
        throw MalformedMessage(field, printableText(e.what()));
    }
}

} // namespace msgbus::plugins::envelope
