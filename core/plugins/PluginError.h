#pragma once

#include <msgbus/Error.h>

namespace msgbus::core {

/// A plugin cannot be loaded or set up. The message names the plugin id and the file.
class PluginError : public msgbus::Error {
public:
    using Error::Error;
};

} // namespace msgbus::core
