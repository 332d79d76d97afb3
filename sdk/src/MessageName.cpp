#include "msgbus/MessageName.h"

#include "msgbus/Error.h"
#include "msgbus/internal/PrintableText.h"

#include <string>

namespace msgbus {

bool isValidMessageName(std::string_view name) noexcept {
    if (name.empty() || name.size() > 255)
        return false;
    int segments = 0;
    bool atSegmentStart = true;
    for (char c : name) {
        if (atSegmentStart) {
            if (c < 'a' || c > 'z')
                return false;
            atSegmentStart = false;
            ++segments;
        } else if (c == '.') {
            atSegmentStart = true;
        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return false;
        }
    }
    return !atSegmentStart && segments >= 2;
}

void validateMessageName(std::string_view name) {
    if (!isValidMessageName(name)) {
        throw InvalidArgument("invalid message name '" + printableText(name, 80) +
                              "': expected two or more dot-separated lowercase segments "
                              "like 'order.placed' ([a-z][a-z0-9_]*, at most 255 characters)");
    }
}

} // namespace msgbus
