// Fixture: a library with a valid ABI block but no manifest (no Serializers,
// RoutingStrategies or Handlers): nothing the host could use, so loading it is an error.
#include <msgbus/Plugin.h>

MSGBUS_PLUGIN("nomanifest", "1.0.0")
