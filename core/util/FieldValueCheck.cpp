#include "core/util/FieldValueCheck.h"

#include <msgbus/Error.h>

namespace msgbus::core {

const FieldKindTraits& requireKnownKind(const FieldValue& value, const std::string& path) {
    const FieldKindTraits* traits = findFieldKind(value.kind);
    if (!traits)
        throw InvalidArgument(path + ": unknown AMQP field kind '" +
                              std::string(1, fieldKindByte(value.kind)) + "'");
    return *traits;
}

void requireInRange(const FieldValue& value, const FieldKindTraits& traits,
                    const std::string& path) {
    if (!fitsFieldKind(traits, value.integer))
        throw InvalidArgument(path + ": value " + std::to_string(value.integer) +
                              " does not fit AMQP field kind '" + std::string(1, traits.byte) +
                              "' (" + std::to_string(traits.min) + ".." +
                              std::to_string(traits.max) + ")");
}

std::string entryPath(const std::string& path, std::string_view key) {
    std::string out = path;
    out += " '";
    out += key;
    out += "'";
    return out;
}

std::string elementPath(const std::string& path, std::size_t index) {
    return path + "[" + std::to_string(index) + "]";
}

} // namespace msgbus::core
