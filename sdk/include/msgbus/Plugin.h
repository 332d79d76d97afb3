#pragma once

/// The one header a plugin includes: the plugin-facing SDK plus the macros that export a
/// plugin's ABI block and its classes. Once per library, at namespace scope:
///
///   MSGBUS_PLUGIN("seen", "1.0.0")
///   MSGBUS_HANDLERS(SeenHandler, AuditHandler)   // and/or MSGBUS_SERIALIZERS(...),
///                                                // MSGBUS_ROUTING_STRATEGIES(...)
///
/// Each class is registered under its name as written (namespace included, e.g.
/// "orders::OrderPlacedHandler"): that is the name plugin.<id>.classes selects it by. Each kind
/// may be exported once per library; one library may export several kinds.
///
/// The macros expand to Poco's POCO_BEGIN_NAMED_MANIFEST(Handlers | Serializers |
/// RoutingStrategies, base) / POCO_EXPORT_CLASS / POCO_END_MANIFEST, which is what the host
/// looks up after dlopen; plugins written with those Poco macros directly load unchanged.

#include "msgbus/BatchHandler.h"
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

/// Exports the plugin's Handler classes (one to 64, comma-separated), BatchHandlers among them.
#define MSGBUS_HANDLERS(...) MSGBUS_DETAIL_MANIFEST(Handlers, msgbus::Handler, __VA_ARGS__)

/// Exports the plugin's Serializer classes (one to 64, comma-separated).
#define MSGBUS_SERIALIZERS(...) MSGBUS_DETAIL_MANIFEST(Serializers, msgbus::Serializer, __VA_ARGS__)

/// Exports the plugin's RoutingStrategy classes (one to 64, comma-separated).
#define MSGBUS_ROUTING_STRATEGIES(...)                                                             \
    MSGBUS_DETAIL_MANIFEST(RoutingStrategies, msgbus::RoutingStrategy, __VA_ARGS__)

// The manifest names (Handlers, Serializers, RoutingStrategies) are the suffixes of the
// pocoBuildManifest<Name> symbols the host's loader looks up; they must not change.
#define MSGBUS_DETAIL_MANIFEST(manifestName, base, ...)                                            \
    POCO_BEGIN_NAMED_MANIFEST(manifestName, base)                                                  \
    MSGBUS_DETAIL_FOR_EACH(POCO_EXPORT_CLASS, __VA_ARGS__)                                         \
    POCO_END_MANIFEST

// MSGBUS_DETAIL_FOR_EACH(m, a, b, c) expands to m(a) m(b) m(c). A macro cannot recurse, so each
// step leaves "MSGBUS_DETAIL_FOR_EACH_AGAIN ()" to be expanded by the next rescan. The nested
// MSGBUS_DETAIL_EXPAND levels rescan at least 4 * 4 * 4 = 64 times, so 64 arguments always
// expand; a list too long for them leaves that token behind and fails to compile, never
// silently drops a class.
#define MSGBUS_DETAIL_FOR_EACH(macro, ...)                                                         \
    __VA_OPT__(MSGBUS_DETAIL_EXPAND(MSGBUS_DETAIL_FOR_EACH_STEP(macro, __VA_ARGS__)))
#define MSGBUS_DETAIL_FOR_EACH_STEP(macro, first, ...)                                             \
    macro(first) __VA_OPT__(MSGBUS_DETAIL_FOR_EACH_AGAIN MSGBUS_DETAIL_PARENS(macro, __VA_ARGS__))
#define MSGBUS_DETAIL_FOR_EACH_AGAIN() MSGBUS_DETAIL_FOR_EACH_STEP
#define MSGBUS_DETAIL_PARENS ()
#define MSGBUS_DETAIL_EXPAND(...)                                                                  \
    MSGBUS_DETAIL_EXPAND3(                                                                         \
        MSGBUS_DETAIL_EXPAND3(MSGBUS_DETAIL_EXPAND3(MSGBUS_DETAIL_EXPAND3(__VA_ARGS__))))
#define MSGBUS_DETAIL_EXPAND3(...)                                                                 \
    MSGBUS_DETAIL_EXPAND2(                                                                         \
        MSGBUS_DETAIL_EXPAND2(MSGBUS_DETAIL_EXPAND2(MSGBUS_DETAIL_EXPAND2(__VA_ARGS__))))
#define MSGBUS_DETAIL_EXPAND2(...)                                                                 \
    MSGBUS_DETAIL_EXPAND1(                                                                         \
        MSGBUS_DETAIL_EXPAND1(MSGBUS_DETAIL_EXPAND1(MSGBUS_DETAIL_EXPAND1(__VA_ARGS__))))
#define MSGBUS_DETAIL_EXPAND1(...) __VA_ARGS__
