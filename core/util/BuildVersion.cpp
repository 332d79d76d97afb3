#include "core/util/BuildVersion.h"

#ifndef MSGBUS_VERSION
#error "MSGBUS_VERSION is set by core/CMakeLists.txt from project(VERSION)"
#endif

namespace msgbus::core {

std::string msgbusVersion() {
    return MSGBUS_VERSION;
}

} // namespace msgbus::core
