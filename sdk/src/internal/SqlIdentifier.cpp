#include "msgbus/internal/SqlIdentifier.h"

#include "msgbus/Error.h"

namespace msgbus {

bool isValidSqlIdentifier(std::string_view name) noexcept {
    if (name.empty() || name.size() > 64)
        return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        bool digit = c >= '0' && c <= '9';
        if (!(letter || (i > 0 && digit)))
            return false;
    }
    return true;
}

void validateSqlIdentifier(std::string_view name, const std::string& what) {
    if (!isValidSqlIdentifier(name))
        throw InvalidArgument(what + ": '" + std::string(name.substr(0, 80)) +
                              "' is not a valid table name ([A-Za-z_][A-Za-z0-9_]*, at most 64)");
}

} // namespace msgbus
