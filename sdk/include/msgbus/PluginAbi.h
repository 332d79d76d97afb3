#pragma once

#include <cstdint>

/// Bumped whenever a change to the SDK headers breaks binary compatibility of plugins
/// (a virtual added to a base class, a value type's layout changed).
#define MSGBUS_SDK_ABI 1u

#define MSGBUS_PLUGIN_ABI_MAGIC 0x4D534247u /* "MSBG" */

/// The block every plugin exports through MSGBUS_PLUGIN. The host reads it right after dlopen,
/// before any other code of the library runs, and refuses the library when a field differs from
/// its own build (naming the field and both values): a plugin built against other SDK headers,
/// another Poco, another C++ ABI would otherwise crash in the middle of a message.
struct MsgbusPluginAbi {
    std::uint32_t magic;
    std::uint32_t sdkAbi;
    std::uint32_t pocoVersion;
    std::uint32_t gxxAbi;
    std::uint32_t cxx11Abi;
    std::uint32_t messageSize;
    std::uint32_t wireMessageSize;
    const char* name;
    const char* version;
};

/// Name of the exported symbol that returns the block.
#define MSGBUS_PLUGIN_ABI_SYMBOL "msgbusPluginAbi"
