// The routing plugin: the default routing strategy.
#include "ConventionRouting.h"

#include <msgbus/Plugin.h>

MSGBUS_PLUGIN("routing", "1.0.0")

// POCO_EXPORT_CLASS stringifies its argument: the class is registered as
// "msgbus::plugins::ConventionRouting", the name a manifest entry has to use.
POCO_BEGIN_NAMED_MANIFEST(RoutingStrategies, msgbus::RoutingStrategy)
POCO_EXPORT_CLASS(msgbus::plugins::ConventionRouting)
POCO_END_MANIFEST
