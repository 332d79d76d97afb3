// The routing plugin: the default routing strategy.
#include "ConventionRouting.h"

#include <msgbus/Plugin.h>

MSGBUS_PLUGIN("routing", "1.0.0")

// The class is registered under its name as written, "msgbus::plugins::ConventionRouting": the
// name a manifest entry has to use.
MSGBUS_ROUTING_STRATEGIES(msgbus::plugins::ConventionRouting)
