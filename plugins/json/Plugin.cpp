// The json plugin: the default serializer.
#include "JsonSerializer.h"

#include <msgbus/Plugin.h>

MSGBUS_PLUGIN("json", "1.0.0")

// The class is registered under its name as written, "msgbus::plugins::JsonSerializer": the
// name a manifest entry has to use.
MSGBUS_SERIALIZERS(msgbus::plugins::JsonSerializer)
