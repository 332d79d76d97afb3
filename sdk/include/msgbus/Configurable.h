#pragma once

#include "msgbus/Export.h"

#include <string>
#include <vector>

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

/// Every key of config that holds a value, as a full dotted key, each parent before its
/// children: what a configure() walks to refuse unknown keys, since a typo, even a nested one
/// ("style.x" under a known "style"), would otherwise be ignored without a word. Keys whose
/// names contain dots (a message name in "route.order.placed.exchange") span several levels
/// of the tree, so only the full keys tell where such a name ends.
MSGBUS_API std::vector<std::string> configuredKeys(const Poco::Util::AbstractConfiguration& config);

} // namespace msgbus
