// The console's skip of failed rows that head parked keys: the same outcome and refusals as
// `failed:skip`, through HeadSkip.
#include "core/console/FailedActions.h"
#include "core/db/Database.h"
#include "core/inbox/HeadSkip.h"
#include "core/util/Clock.h"

namespace msgbus::core::console {

std::size_t FailedActions::skip(Poco::Data::Session& session,
                                const std::vector<FailedListRow>& rows,
                                std::vector<Refused>& refused) {
    const HeadSkip heads(_context.settings, _context.database.dialect());
    std::size_t done = 0;
    for (const auto& row : rows) {
        const auto outcome = heads.skip(session, row.id, nowMillis());
        if (outcome == HeadSkip::Outcome::Skipped)
            ++done;
        else
            refused.push_back({row.id, HeadSkip::describe(outcome)});
    }
    return done;
}

} // namespace msgbus::core::console
