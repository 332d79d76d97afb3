#pragma once

/// The one header a plugin includes: the plugin-facing SDK plus the manifest macros.
///
///   MSGBUS_PLUGIN("seen", "1.0.0")
///   POCO_BEGIN_NAMED_MANIFEST(Handlers, msgbus::Handler)   // or Serializers, RoutingStrategies
///       POCO_EXPORT_CLASS(SeenHandler)
///   POCO_END_MANIFEST

#include "msgbus/Error.h"
#include "msgbus/FieldValue.h"
#include "msgbus/Handler.h"
#include "msgbus/HandlerContext.h"
#include "msgbus/Id.h"
#include "msgbus/Message.h"
#include "msgbus/MessageName.h"
#include "msgbus/PluginAbi.h"
#include "msgbus/Route.h"
#include "msgbus/RoutingStrategy.h"
#include "msgbus/Serializer.h"
#include "msgbus/WireMessage.h"

#include <Poco/ClassLibrary.h>
#include <Poco/Version.h>

/// Declares the plugin's name and version and exports its ABI block. Exactly once per library.
#define MSGBUS_PLUGIN(pluginName, pluginVersion)                                                   \
    extern "C" POCO_LIBRARY_API const MsgbusPluginAbi* msgbusPluginAbi() {                         \
        static const MsgbusPluginAbi abi{MSGBUS_PLUGIN_ABI_MAGIC,                                  \
                                         MSGBUS_SDK_ABI,                                           \
                                         POCO_VERSION,                                             \
                                         __GXX_ABI_VERSION,                                        \
                                         _GLIBCXX_USE_CXX11_ABI,                                   \
                                         sizeof(msgbus::Message),                                  \
                                         sizeof(msgbus::WireMessage),                              \
                                         pluginName,                                               \
                                         pluginVersion};                                           \
        return &abi;                                                                               \
    }
