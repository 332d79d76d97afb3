#pragma once

#include "core/failed/ActionAudit.h"

#include <Poco/Data/Session.h>

#include <cstdint>
#include <optional>
#include <string>

namespace msgbus::core::cli {

/// Writes the start of a CLI command's action to the audit trail (user: the operating-system
/// user, source "cli"); nullopt, and a warning on stderr, when the trail cannot be written: a
/// missing audit table must not stop an operator's repair. filterJson: what the command acted on.
std::optional<std::int64_t> auditBegin(ActionAudit& audit, Poco::Data::Session& session,
                                       const std::string& action, const std::string& filterJson,
                                       std::size_t rows);

/// Records the outcome of the action auditBegin started (nothing when it could not start);
/// a failure is a warning, never the command's failure.
void auditFinish(ActionAudit& audit, Poco::Data::Session& session, std::optional<std::int64_t> id,
                 std::size_t done, std::size_t refused);

} // namespace msgbus::core::cli
