#pragma once

/// Host helper, not part of the plugin contract (never installed): shared by the OutboxWriter
/// and the host's stores, which both paste configured table names into SQL text.

#include "msgbus/Export.h"

#include <string>
#include <string_view>

namespace msgbus {

/// True for a plain SQL identifier: [A-Za-z_][A-Za-z0-9_]*, at most 64 characters. Table names
/// from the configuration are checked with it before they are pasted into SQL text.
MSGBUS_API bool isValidSqlIdentifier(std::string_view name) noexcept;

/// Throws InvalidArgument naming what (e.g. the configuration key) when name is not one.
MSGBUS_API void validateSqlIdentifier(std::string_view name, const std::string& what);

} // namespace msgbus
