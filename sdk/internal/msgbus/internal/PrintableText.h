#pragma once

/// Host helper, not part of the plugin contract (never installed): shared by the SDK's value
/// types and the host for error messages built from untrusted bytes.

#include "msgbus/Export.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace msgbus {

/// Text from the wire as it may appear in an error message: printable ASCII kept, every other
/// byte written as \xNN, and at most maxBytes of the input shown ("..." marks the cut). Errors
/// end up in logs and in the failed table's error_message column, which must stay valid UTF-8
/// whatever bytes a peer sent.
MSGBUS_API std::string printableText(std::string_view text,
                                     std::size_t maxBytes = std::string_view::npos);

} // namespace msgbus
