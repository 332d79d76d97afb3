// outbox:list, outbox:replay and cleanup:outbox: the outbox's audit trail (outbox.keep_delivered).
#include "core/cli/CommandLine.h"
#include "core/cli/Commands.h"
#include "core/cli/Loaded.h"
#include "core/cli/PartitionDrops.h"
#include "core/cli/Progress.h"
#include "core/cli/TimeArgument.h"
#include "core/db/Database.h"
#include "core/db/DbErrors.h"
#include "core/db/Transaction.h"
#include "core/outbox/DeliveredStore.h"
#include "core/outbox/DeliveryReplay.h"
#include "core/outbox/OutboxStore.h"
#include "core/util/Clock.h"
#include "core/util/Utf8Text.h"

#include <msgbus/Error.h>
#include <msgbus/internal/Json.h>

#include <iomanip>
#include <iostream>
#include <utility>

namespace msgbus::core::cli {
namespace {

std::string quoted(const std::string& text) {
    return json::quote(lossyUtf8(text));
}

std::string shortText(std::string text, std::size_t max) {
    for (auto& c : text)
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
    return text.size() > max ? text.substr(0, max - 3) + "..." : text;
}

/// --name (repeatable), --id (repeatable) or positional ids, --since and --until (ages count
/// back from nowMs).
RowFilter filterFrom(const CommandLine& line, const std::vector<std::string>& idTexts,
                     std::int64_t nowMs) {
    RowFilter filter;
    filter.names = line.values("name");
    for (const auto& text : idTexts) {
        if (!Id::isValid(text))
            throw UsageError("'" + text +
                             "' is not a message id (a UUID, a ULID or 32 hex digits)");
        filter.ids.push_back(Id::parse(text));
    }
    if (auto since = line.value("since"))
        filter.since = parsePointInTime("--since", *since, nowMs);
    if (auto until = line.value("until"))
        filter.until = parsePointInTime("--until", *until, nowMs);
    if (filter.since && filter.until && *filter.until <= *filter.since)
        throw UsageError("--until must be later than --since");
    return filter;
}

/// The delivered table, or a runtime error saying how to get it.
DeliveredStore deliveredStoreOf(Database& database, const Settings& settings,
                                Poco::Data::Session& session) {
    DeliveredStore store(database.dialect(), settings.outbox.table);
    if (!store.exists(session))
        throw Error("the table " + store.table() +
                    " does not exist: `msgbus setup` creates it, and outbox.keep_delivered = "
                    "true fills it");
    return store;
}

/// The members every listed row has, the object left open for the caller's own.
std::string listedJson(const std::string& status, const ListedMessage& r) {
    return "{\"status\":\"" + status + "\",\"message_id\":" + quoted(r.messageId) +
           ",\"message_name\":" + quoted(r.name) +
           ",\"partition_key\":" + (r.partitionKey ? quoted(*r.partitionKey) : "null") +
           ",\"created_at\":" + quoted(isoTimeText(r.createdAt));
}

std::string pendingJson(const PendingRecord& r) {
    return listedJson("pending", r) + ",\"available_at\":" + quoted(isoTimeText(r.availableAt)) +
           ",\"attempts\":" + std::to_string(r.attempts) +
           ",\"last_error\":" + (r.lastError ? quoted(*r.lastError) : "null") + "}";
}

std::string deliveredJson(const DeliveryRecord& r) {
    return listedJson("delivered", r) + ",\"delivered_at\":" + quoted(isoTimeText(r.deliveredAt)) +
           ",\"exchange\":" + quoted(r.exchange) + ",\"routing_key\":" + quoted(r.routingKey) +
           ",\"attempts\":" + std::to_string(r.attempts) + "}";
}

void printTable(const std::vector<PendingRecord>& pending,
                const std::vector<DeliveryRecord>& delivered) {
    std::cout << std::left << std::setw(10) << "STATUS" << std::setw(38) << "MESSAGE ID"
              << std::setw(26) << "NAME" << std::setw(22) << "TIME" << std::setw(22) << "DUE"
              << std::setw(5) << "TRY"
              << "ROUTE / LAST ERROR\n";
    // DUE: when a relay may send the row (its delivery time, or its next attempt after a
    // failure); "now" once that time has come.
    const std::int64_t now = nowMillis();
    for (const auto& r : pending)
        std::cout << std::left << std::setw(10) << "pending" << std::setw(38) << r.messageId
                  << std::setw(26) << shortText(r.name, 25) << std::setw(22)
                  << isoTimeText(r.createdAt) << std::setw(22)
                  << (r.availableAt > now ? isoTimeText(r.availableAt) : "now") << std::setw(5)
                  << r.attempts << shortText(r.lastError.value_or("-"), 60) << "\n";
    for (const auto& r : delivered)
        std::cout << std::left << std::setw(10) << "delivered" << std::setw(38) << r.messageId
                  << std::setw(26) << shortText(r.name, 25) << std::setw(22)
                  << isoTimeText(r.deliveredAt) << std::setw(22) << "-" << std::setw(5)
                  << r.attempts
                  << shortText(
                         (r.exchange.empty() ? "(default)" : r.exchange) + " / " + r.routingKey, 60)
                  << "\n";
}

int positiveInteger(const CommandLine& line, const std::string& flag, long long fallback) {
    const long long value = line.integer(flag, fallback);
    if (value <= 0 || value > 1000000)
        throw UsageError("--" + flag + " must be between 1 and 1000000");
    return static_cast<int>(value);
}

} // namespace

int outboxList(const std::vector<std::string>& args) {
    CommandLine line(args, {"config", "name", "id", "since", "until", "status", "limit"}, {"json"});
    if (!line.positional().empty())
        throw UsageError("unexpected argument '" + line.positional().front() +
                         "' (message ids go after --id)");
    const std::string status = line.value("status").value_or("all");
    if (status != "all" && status != "pending" && status != "delivered")
        throw UsageError("--status '" + status + "': expected pending, delivered or all");
    const int limit = positiveInteger(line, "limit", 100);
    const RowFilter filter = filterFrom(line, line.values("id"), nowMillis());
    auto loaded = loadSettings(line);
    Database database(loaded.settings.db);
    auto session = database.session();
    // Both tables as of one moment: the relay moves rows from the outbox to the delivered table
    // between the two reads, and a row read pending first would be read delivered too.
    ReadSnapshot snapshot(*session, database.dialect());
    std::vector<PendingRecord> pending;
    std::vector<DeliveryRecord> delivered;
    if (status != "delivered")
        pending = OutboxStore(database.dialect(), loaded.settings.outbox.table)
                      .listPending(*session, filter, limit);
    bool deliveredKept = false;
    if (status != "pending") {
        DeliveredStore store(database.dialect(), loaded.settings.outbox.table);
        deliveredKept = store.exists(*session);
        if (deliveredKept && static_cast<int>(pending.size()) < limit)
            delivered = store.list(*session, filter, limit - static_cast<int>(pending.size()));
    }
    const bool truncated = static_cast<int>(pending.size() + delivered.size()) >= limit;
    if (line.has("json")) {
        std::string out = "{\"rows\":[";
        bool first = true;
        for (const auto& r : pending)
            out += (std::exchange(first, false) ? "" : ",") + pendingJson(r);
        for (const auto& r : delivered)
            out += (std::exchange(first, false) ? "" : ",") + deliveredJson(r);
        std::cout << out << "],\"count\":" << pending.size() + delivered.size()
                  << ",\"truncated\":" << (truncated ? "true" : "false") << "}\n";
        return 0;
    }
    printTable(pending, delivered);
    std::cout << pending.size() << " pending, " << delivered.size() << " delivered row(s)"
              << (truncated ? " (--limit reached: narrow with --name/--since or raise --limit)"
                            : "")
              << "\n";
    if (status != "pending" && !deliveredKept)
        std::cout << "(no delivered rows are kept: outbox.keep_delivered = true and `msgbus "
                     "setup` keep them)\n";
    return 0;
}

namespace {

std::string windowText(const RowFilter& window, const std::string& table) {
    std::string text = "window: ";
    if (window.ids.empty())
        text += "delivered from " + isoMillisText(window.since.value_or(0)) + " until " +
                isoMillisText(window.until.value_or(0)) + " (excluded), ";
    else
        text += "the latest delivery of each id, ";
    return text + "recorded in " + table + " up to id " +
           std::to_string(window.lastKey.value_or(0)) + " (fixed when the command started)";
}

void printReplayResult(const DeliveryReplay::Result& result, const std::string& outboxTable) {
    std::cout << "replayed " << result.written << " message(s) into " << outboxTable
              << " with their ids";
    if (result.written < result.matched)
        std::cout << "; " << result.matched - result.written
                  << " were pending already or delivered more than once";
    std::cout << "\n";
}

} // namespace

int outboxReplay(const std::vector<std::string>& args) {
    CommandLine line(args, {"config", "name", "since", "until", "batch-size"}, {"dry-run"});
    const bool byIds = !line.positional().empty();
    if (byIds && (line.has("name") || line.has("since") || line.has("until")))
        throw UsageError("give message ids or --name/--since/--until, not both");
    if (!byIds && (!line.has("name") || !line.has("since")))
        throw UsageError("give message ids, or --name N --since T [--until T] (--name may repeat)");
    const auto batch = static_cast<std::size_t>(positiveInteger(line, "batch-size", 500));
    const std::int64_t startedMs = nowMillis();
    const RowFilter given = filterFrom(line, line.positional(), startedMs);
    auto loaded = loadSettings(line);
    Database database(loaded.settings.db);
    auto session = database.session();
    DeliveredStore store = deliveredStoreOf(database, loaded.settings, *session);
    DeliveryReplay replay(database, *session, store, given, startedMs);
    std::cout << windowText(replay.window(), store.table()) << "\n";
    for (const auto& id : replay.missingIds())
        std::cerr << "no delivery of " << id << " in " << store.table() << "\n";
    const int exitCode = replay.missingIds().empty() ? 0 : 1;
    const std::int64_t total = replay.total();
    if (line.has("dry-run")) {
        std::cout << "would replay " << total << " deliver" << (total == 1 ? "y" : "ies") << "\n";
        return exitCode;
    }
    Progress progress("replaying", total);
    const auto result = replay.run(batch, [&progress](std::int64_t n) { progress.advance(n); });
    printReplayResult(result, loaded.settings.outbox.table);
    return exitCode;
}

int cleanupOutbox(const std::vector<std::string>& args) {
    CommandLine line(args, {"config", "older-than", "batch-size"}, {});
    auto olderThan = line.value("older-than");
    if (!olderThan)
        throw UsageError("cleanup:outbox needs --older-than <N>d|h|m|s");
    const auto age = parseAge("--older-than", *olderThan);
    const int batch = positiveInteger(line, "batch-size", 1000);
    auto loaded = loadSettings(line);
    Database database(loaded.settings.db);
    auto session = database.session();
    DeliveredStore store = deliveredStoreOf(database, loaded.settings, *session);
    const std::int64_t cutoff = nowMillis() - age.count();
    // Partitioned: whole days first, then the batches below delete what is left of the edge day.
    PartitionDrops(database, loaded.settings).delivered(cutoff);
    std::size_t total = 0;
    Progress progress("removing delivered rows", 0);
    for (int conflicts = 0;;) {
        std::size_t removed = 0;
        try {
            // A transaction a batch: the relays keep inserting while this runs, and another
            // host's cleanup takes the next batch instead of waiting for this whole run.
            Transaction tx(*session, database.dialect());
            removed = store.removeOlderThan(*session, cutoff, batch);
            tx.commit();
        } catch (const std::exception& e) {
            if (!isLockConflict(e) || ++conflicts > 10)
                throw;
            continue; // another host's cleanup took these rows: go on with the next ones
        }
        total += removed;
        progress.advance(static_cast<std::int64_t>(removed));
        if (removed < static_cast<std::size_t>(batch))
            break;
    }
    std::cout << "removed " << total << " delivered row(s) older than " << *olderThan << " from "
              << store.table() << "\n";
    return 0;
}

} // namespace msgbus::core::cli
