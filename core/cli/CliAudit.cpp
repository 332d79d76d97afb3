#include "core/cli/CliAudit.h"

#include "core/util/Clock.h"

#include <iostream>

namespace msgbus::core::cli {

std::optional<std::int64_t> auditBegin(ActionAudit& audit, Poco::Data::Session& session,
                                       const std::string& action, const std::string& filterJson,
                                       std::size_t rows) {
    try {
        return audit.begin(session, {0, nowMillis(), ActionAudit::cliUser(), "cli", action,
                                     filterJson, static_cast<std::int64_t>(rows), 0, 0});
    } catch (const std::exception& e) {
        std::cerr << "warning: the action is not in the audit trail (" << audit.table()
                  << "; run msgbus setup if it is missing): " << e.what() << "\n";
        return std::nullopt;
    }
}

void auditFinish(ActionAudit& audit, Poco::Data::Session& session, std::optional<std::int64_t> id,
                 std::size_t done, std::size_t refused) {
    if (!id)
        return;
    try {
        audit.finish(session, *id, static_cast<std::int64_t>(done),
                     static_cast<std::int64_t>(refused));
    } catch (const std::exception& e) {
        std::cerr << "warning: the audit trail's row " << *id << " lacks the outcome: " << e.what()
                  << "\n";
    }
}

} // namespace msgbus::core::cli
