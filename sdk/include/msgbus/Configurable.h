#pragma once

#include "msgbus/Export.h"

namespace Poco::Util {
class AbstractConfiguration;
}

namespace msgbus {

/// Base of every plugin class. configure() is called once after construction with the plugin's
/// own view of the properties file (`plugin.<id>.config.*`, keys without that prefix), before
/// any other call. Throw (with the key's name) to refuse a bad configuration: the plugin set is
/// then not started (or, on reload, the old set stays).
class MSGBUS_API Configurable {
public:
    virtual ~Configurable();
    virtual void configure(const Poco::Util::AbstractConfiguration& config) { (void)config; }
};

} // namespace msgbus
