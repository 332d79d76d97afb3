#include "msgbus/FieldKind.h"

namespace msgbus {

std::string describeFieldKind(FieldKind kind) {
    const FieldKindTraits* traits = findFieldKind(kind);
    std::string out(traits ? traits->name : std::string_view("unknown type"));
    out += " (AMQP type '";
    out += fieldKindByte(kind);
    out += "')";
    return out;
}

} // namespace msgbus
