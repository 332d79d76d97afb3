// failed:skip: an operator lets a parked key go on without its head. parked:release: the
// escape for a key that is stuck whatever its head (its head row moved to another consumer,
// or is gone): its parked messages run next.
#include "core/cli/CliAudit.h"
#include "core/cli/CommandLine.h"
#include "core/cli/Commands.h"
#include "core/cli/Loaded.h"
#include "core/db/Database.h"
#include "core/db/Transaction.h"
#include "core/failed/ActionAudit.h"
#include "core/inbox/HeadSkip.h"
#include "core/inbox/SequenceStore.h"
#include "core/util/Clock.h"
#include "core/util/Utf8Text.h"

#include <msgbus/internal/Json.h>

#include <iostream>

namespace msgbus::core::cli {

using namespace Poco::Data::Keywords;

namespace {

std::vector<std::int64_t> rowIds(const CommandLine& line) {
    std::vector<std::int64_t> ids;
    for (const auto& text : line.positional()) {
        std::size_t used = 0;
        long long id = 0;
        try {
            id = std::stoll(text, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != text.size() || id <= 0)
            throw UsageError("'" + text + "' is not a failed row id");
        ids.push_back(id);
    }
    if (ids.empty())
        throw UsageError("failed:skip needs one or more row ids (the heads of parked keys)");
    return ids;
}

} // namespace

int failedSkip(const std::vector<std::string>& args) {
    CommandLine line(args, {"config"}, {});
    const auto ids = rowIds(line);
    auto loaded = loadSettings(line);
    const auto& s = loaded.settings;
    Database database(s.db);
    auto session = database.session();
    const HeadSkip heads(s, database.dialect());
    ActionAudit audit(database.dialect(), s.failedTable);
    std::string filter = "{\"ids\":[";
    for (std::size_t i = 0; i < ids.size(); ++i)
        filter += (i ? "," : "") + std::to_string(ids[i]);
    const auto auditId = auditBegin(audit, *session, "skip", filter + "]}", ids.size());
    std::size_t skipped = 0;
    for (auto id : ids) {
        const auto outcome = heads.skip(*session, id, nowMillis());
        if (outcome == HeadSkip::Outcome::Skipped)
            ++skipped;
        else
            std::cerr << "row " << id << ": " << HeadSkip::describe(outcome)
                      << (outcome == HeadSkip::Outcome::NotAHead
                              ? " (failed:list shows the parked keys)"
                              : "")
                      << "\n";
    }
    auditFinish(audit, *session, auditId, skipped, ids.size() - skipped);
    std::cout << "skipped " << skipped << " head(s): their parked messages run next; the rows "
              << "stay in the failed table\n";
    return skipped == ids.size() ? 0 : 1;
}

int parkedRelease(const std::vector<std::string>& args) {
    CommandLine line(args, {"config"}, {});
    if (line.positional().size() != 2)
        throw UsageError("parked:release needs a consumer and a partition key (failed:list shows "
                         "the parked keys)");
    const std::string& consumer = line.positional()[0];
    auto loaded = loadSettings(line);
    const auto& s = loaded.settings;
    bool known = false;
    for (const auto& c : s.inbox.consumers)
        known = known || c.name == consumer;
    // Only a configured name reaches the SQL.
    if (!known)
        throw UsageError("parked:release: '" + consumer + "' is no consumer of this configuration");
    const std::string key = SequenceStore::keyOf(line.positional()[1]);
    Database database(s.db);
    auto session = database.session();
    SequenceStore store(database.dialect(), s.dedupTable);
    ActionAudit audit(database.dialect(), s.failedTable);
    const auto auditId = auditBegin(audit, *session, "parked-release",
                                    "{\"consumer\":" + json::quote(consumer) +
                                        ",\"key\":" + json::quote(lossyUtf8(key)) + "}",
                                    1);
    Transaction tx(*session, database.dialect());
    const bool released = store.release(*session, consumer, key);
    tx.commit();
    auditFinish(audit, *session, auditId, released ? 1 : 0, released ? 0 : 1);
    if (!released) {
        std::cerr << "consumer " << consumer << " has no parked sequence for key '"
                  << singleLineText(lossyUtf8(key)) << "'\n";
        return 1;
    }
    std::cout << "released key '" << singleLineText(lossyUtf8(key)) << "' of consumer " << consumer
              << ": its parked messages run next; its head's row, if any, stays where it is\n";
    return 0;
}

} // namespace msgbus::core::cli
