#pragma once

#include "msgbus/Export.h"

#include <string_view>

namespace msgbus {

/// A message name is two or more dot-separated lowercase segments:
/// ^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$ ("order.placed", "billing.invoice.paid"), at most 255
/// characters (the width of the name columns).
MSGBUS_API bool isValidMessageName(std::string_view name) noexcept;

/// Throws InvalidArgument naming the bad name when isValidMessageName() is false.
MSGBUS_API void validateMessageName(std::string_view name);

} // namespace msgbus
