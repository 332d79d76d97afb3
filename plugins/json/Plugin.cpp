// The json plugin: the default serializer.
#include "JsonSerializer.h"

#include <msgbus/Plugin.h>

MSGBUS_PLUGIN("json", "1.0.0")

// POCO_EXPORT_CLASS stringifies its argument: the class is registered as
// "msgbus::plugins::JsonSerializer", the name a manifest entry has to use.
POCO_BEGIN_NAMED_MANIFEST(Serializers, msgbus::Serializer)
POCO_EXPORT_CLASS(msgbus::plugins::JsonSerializer)
POCO_END_MANIFEST
