#pragma once

/// Plugins are compiled with -fvisibility=hidden; the SDK's classes and functions must stay
/// visible so a plugin binds to the one copy of their vtables, type info and code in
/// libmsgbus-sdk.so (exceptions and dynamic_cast then work across the plugin boundary).
#define MSGBUS_API __attribute__((visibility("default")))
