#pragma once

#include <string>

namespace msgbus::core {

/// plugins.dir when the configuration leaves it out: <libdir>/msgbus/plugins of the tree the
/// running executable was installed into, found from the executable's own path (bin/../lib/...,
/// as its RPATH finds libmsgbus-sdk.so). Where that directory does not exist (the executable of
/// a build tree), the <libdir>/msgbus/plugins of the configured install prefix.
std::string defaultPluginDir();

} // namespace msgbus::core
