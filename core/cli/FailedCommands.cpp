// failed:list, failed:show, failed:retry, failed:remove and cleanup:dedup.
#include "core/cli/CliAudit.h"
#include "core/cli/CommandLine.h"
#include "core/cli/Commands.h"
#include "core/cli/Loaded.h"
#include "core/cli/ParkedSequences.h"
#include "core/cli/PartitionDrops.h"
#include "core/cli/Progress.h"
#include "core/cli/RefusalReport.h"
#include "core/cli/TimeArgument.h"
#include "core/config/RetryHorizon.h"
#include "core/db/Database.h"
#include "core/db/Transaction.h"
#include "core/failed/ActionAudit.h"
#include "core/failed/FailedRetry.h"
#include "core/failed/FailedStore.h"
#include "core/failed/GuardedChange.h"
#include "core/failed/OutboxEnvelope.h"
#include "core/inbox/DedupStore.h"
#include "core/inbox/UnfinishedRuns.h"
#include "core/util/Clock.h"
#include "core/util/Utf8Text.h"

#include <msgbus/internal/Json.h>

#include <Poco/Base64Encoder.h>
#include <Poco/NumberFormatter.h>

#include <iomanip>
#include <iostream>
#include <limits>
#include <sstream>

namespace msgbus::core::cli {
namespace {

std::string shortText(std::string text, std::size_t max) {
    for (auto& c : text)
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
    return text.size() > max ? text.substr(0, max - 3) + "..." : text;
}

std::vector<std::int64_t> idsFrom(const CommandLine& line) {
    std::vector<std::int64_t> ids;
    for (const auto& text : line.positional()) {
        try {
            std::size_t used = 0;
            long long id = std::stoll(text, &used);
            if (used != text.size() || id <= 0)
                throw std::invalid_argument(text);
            ids.push_back(id);
        } catch (const std::exception&) {
            throw UsageError("'" + text + "' is not a failed row id");
        }
    }
    return ids;
}

std::string quoted(const std::string& text) {
    return json::quote(lossyUtf8(text));
}

std::string base64Of(const std::string& bytes) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << bytes;
    encoder.close();
    return out.str();
}

/// One row as a JSON object; with full, its headers (the stored envelope, itself JSON) and its
/// body (text when it is valid UTF-8, else base64).
std::string rowJson(const FailedRecord& r, bool full) {
    std::string out =
        "{\"id\":" + std::to_string(r.id) + ",\"queue\":" + quoted(r.queueName) +
        ",\"source\":" + quoted(r.source) +
        ",\"message_id\":" + (r.messageId ? quoted(r.messageId->toString()) : "null") +
        ",\"message_name\":" + (r.messageName ? quoted(*r.messageName) : "null") +
        ",\"attempts\":" + std::to_string(r.attempts) + ",\"error_class\":" + quoted(r.errorClass) +
        ",\"error_message\":" + quoted(r.errorMessage) +
        ",\"created_at\":" + quoted(isoTimeText(r.createdAt)) +
        ",\"available_at\":" + quoted(isoTimeText(r.availableAt)) +
        ",\"failed_at\":" + (r.failedAt ? quoted(isoTimeText(*r.failedAt)) : "null");
    if (full) {
        out += ",\"envelope\":" +
               (json::isObject(r.envelopeJson) ? r.envelopeJson : quoted(r.envelopeJson));
        if (json::isValidUtf8(r.body))
            out += ",\"body\":" + json::quote(r.body);
        else
            out += ",\"body\":null,\"body_base64\":" + json::quote(base64Of(r.body));
    }
    return out + "}";
}

/// The rows named on the command line, or with --all every row (of --source when given).
std::vector<FailedRecord> selectRows(const CommandLine& line, FailedStore& store,
                                     Poco::Data::Session& session) {
    if (line.has("all")) {
        if (!line.positional().empty())
            throw UsageError("give row ids or --all, not both");
        return store.list(session, "", line.value("source").value_or(""), "", 1000000);
    }
    auto ids = idsFrom(line);
    if (ids.empty())
        throw UsageError("give one or more row ids, or --all");
    std::vector<FailedRecord> rows;
    for (auto id : ids) {
        auto row = store.find(session, id);
        if (!row)
            throw UsageError("no failed row " + std::to_string(id));
        rows.push_back(*row);
    }
    return rows;
}

/// The audit row of a failed:retry or failed:remove: which rows it was asked to act on.
std::string auditFilter(const CommandLine& line) {
    std::string out = "{";
    if (line.has("all")) {
        out += "\"all\":true";
        if (auto source = line.value("source"))
            out += ",\"source\":" + json::quote(lossyUtf8(*source));
    } else {
        out += "\"ids\":[";
        for (std::size_t i = 0; i < line.positional().size(); ++i)
            out += (i ? "," : "") + line.positional()[i];
        out += "]";
    }
    if (line.has("force"))
        out += ",\"force\":true";
    return out + "}";
}

/// Refuses (UsageError) an explicit --older-than age shorter than the retry horizon, unless
/// forced.
void requireBeyondRetryHorizon(const RetrySettings& retry, const std::string& olderThan,
                               std::chrono::milliseconds age, bool force) {
    const auto minimum = minimumDedupRetention(retry);
    if (age >= minimum || force)
        return;
    // A message still on its retry schedule would find no deduplication row when it comes
    // back, and its handlers would run a second time.
    throw UsageError(
        "--older-than " + olderThan + " is shorter than the retry horizon: a message can " +
        "still be retried up to " + durationText(retryHorizon(retry)) +
        " after its first delivery (retry.max_retries = " + std::to_string(retry.maxRetries) +
        ", retry.delay_ms = " + std::to_string(retry.delay.count()) +
        ", retry.multiplier = " + Poco::NumberFormatter::format(retry.multiplier) +
        ", retry.max_delay_ms = " + std::to_string(retry.maxDelay.count()) +
        "), and a duplicate of it would then run the handlers again; the minimum is " +
        durationText(minimum) +
        " (never less than 1h); add --force to remove younger rows "
        "anyway");
}

} // namespace

int failedList(const std::vector<std::string>& args) {
    CommandLine line(args, {"config", "source", "name", "limit"}, {"json"});
    auto loaded = loadSettings(line);
    Database database(loaded.settings.db);
    auto session = database.session();
    FailedStore store(database.dialect(), loaded.settings.failedTable);
    auto rows =
        store.list(*session, "", line.value("source").value_or(""), line.value("name").value_or(""),
                   static_cast<int>(line.integer("limit", 50)));
    const ParkedSequences parked(loaded.settings, database.dialect());
    if (line.has("json")) {
        std::string out = "{\"rows\":[";
        for (std::size_t i = 0; i < rows.size(); ++i)
            out += (i ? "," : "") + rowJson(rows[i], false);
        std::cout << out << "],\"count\":" << rows.size()
                  << ",\"parked\":" << parked.json(*session, 1000, nowMillis()) << "}\n";
        return 0;
    }
    std::cout << std::left << std::setw(8) << "ID" << std::setw(7) << "QUEUE" << std::setw(20)
              << "SOURCE" << std::setw(38) << "MESSAGE ID" << std::setw(24) << "NAME"
              << std::setw(5) << "TRY"
              << "ERROR\n";
    for (const auto& r : rows)
        std::cout << std::left << std::setw(8) << r.id << std::setw(7) << r.queueName
                  << std::setw(20) << shortText(r.source, 19) << std::setw(38)
                  << (r.messageId ? r.messageId->toString() : "-") << std::setw(24)
                  << shortText(r.messageName.value_or("-"), 23) << std::setw(5) << r.attempts
                  << shortText(r.errorClass + ": " + r.errorMessage, 80) << "\n";
    std::cout << rows.size() << " row(s)\n";
    parked.print(std::cout, *session, 1000, nowMillis());
    return 0;
}

int failedShow(const std::vector<std::string>& args) {
    CommandLine line(args, {"config"}, {"json"});
    auto ids = idsFrom(line);
    if (ids.size() != 1)
        throw UsageError("failed:show needs exactly one row id");
    auto loaded = loadSettings(line);
    Database database(loaded.settings.db);
    auto session = database.session();
    auto row = FailedStore(database.dialect(), loaded.settings.failedTable).find(*session, ids[0]);
    if (!row)
        throw UsageError("no failed row " + std::to_string(ids[0]));
    if (line.has("json")) {
        std::cout << rowJson(*row, true) << "\n";
        return 0;
    }
    std::cout << "id:           " << row->id << "\n"
              << "queue:        " << row->queueName << "\n"
              << "source:       " << row->source << "\n"
              << "message id:   " << (row->messageId ? row->messageId->toString() : "-") << "\n"
              << "message name: " << row->messageName.value_or("-") << "\n"
              << "attempts:     " << row->attempts << "\n"
              << "created at:   " << isoTimeText(row->createdAt) << "\n"
              << "available at: " << isoTimeText(row->availableAt) << "\n"
              << "failed at:    " << (row->failedAt ? isoTimeText(*row->failedAt) : "-") << "\n"
              << "error:        " << row->errorClass << ": " << row->errorMessage << "\n"
              << "envelope:     " << row->envelopeJson << "\n";
    if (json::isValidUtf8(row->body)) {
        std::cout << "body:         " << row->body << "\n";
    } else {
        std::cout << "body (base64, not UTF-8): " << base64Of(row->body) << "\n";
    }
    return 0;
}

int failedRetry(const std::vector<std::string>& args) {
    CommandLine line(args, {"config", "source"}, {"all", "force"});
    auto loaded = loadSettings(line);
    const auto& s = loaded.settings;
    Database database(s.db);
    auto session = database.session();
    FailedStore store(database.dialect(), s.failedTable);
    auto rows = selectRows(line, store, *session);
    const std::int64_t now = nowMillis();
    GuardedChange change(s.failedTable, now);
    // --force overrides the dedup window alone: a cut body or a live lease is never the
    // operator's to override (the run would be wrong, or run on two hosts at once).
    const auto since = line.has("force")
                           ? std::nullopt
                           : std::optional<std::int64_t>(now - s.dedupRetention.count());
    RefusalReport report(s.dedupRetention);
    ActionAudit audit(database.dialect(), s.failedTable);
    const auto auditId = auditBegin(audit, *session, "retry", auditFilter(line), rows.size());
    const RetryDestination destination{s.outbox.table, s.outbox.maxBodyBytes, s.retry.maxRetries};
    int outbox = 0, inbox = 0;
    {
        Progress progress("retrying", static_cast<std::int64_t>(rows.size()));
        for (const auto& row : rows) {
            const auto refusal =
                retryFailedRow(*session, database.dialect(), destination, change, row, since);
            report.add(row.id, refusal, !line.has("all"));
            if (refusal.reason == Refusal::None)
                ++(row.source == OutboxEnvelope::source ? outbox : inbox);
            progress.advance(1);
        }
    }
    auditFinish(audit, *session, auditId, static_cast<std::size_t>(outbox + inbox),
                rows.size() - static_cast<std::size_t>(outbox + inbox));
    report.print(std::cerr);
    std::cout << "retrying " << outbox + inbox << " row(s): " << outbox << " back into the outbox, "
              << inbox << " due now for their consumer" << report.summary(true) << "\n";
    return report.exitCode();
}

int failedRemove(const std::vector<std::string>& args) {
    CommandLine line(args, {"config", "source"}, {"all", "force"});
    if (line.has("all") && !line.has("force"))
        throw UsageError("--all removes every failed row: add --force to confirm");
    auto loaded = loadSettings(line);
    Database database(loaded.settings.db);
    auto session = database.session();
    FailedStore store(database.dialect(), loaded.settings.failedTable);
    auto rows = selectRows(line, store, *session);
    GuardedChange change(loaded.settings.failedTable, nowMillis());
    const ParkedSequences parked(loaded.settings, database.dialect());
    RefusalReport report(loaded.settings.dedupRetention);
    ActionAudit audit(database.dialect(), loaded.settings.failedTable);
    const auto auditId = auditBegin(audit, *session, "remove", auditFilter(line), rows.size());
    std::size_t removed = 0;
    Transaction tx(*session, database.dialect());
    for (const auto& row : rows) {
        // --force confirms --all; it never removes a row a live host is running.
        const auto refusal = change.remove(*session, row.id);
        report.add(row.id, refusal, !line.has("all"));
        removed += refusal.reason == Refusal::None ? 1 : 0;
        // A removed head lets its key go on: the parked messages run next.
        if (refusal.reason == Refusal::None)
            parked.releaseHead(*session, row);
    }
    tx.commit();
    auditFinish(audit, *session, auditId, removed, rows.size() - removed);
    report.print(std::cerr);
    std::cout << "removed " << removed << " row(s)" << report.summary(false) << "\n";
    return report.exitCode();
}

int cleanupDedup(const std::vector<std::string>& args) {
    CommandLine line(args, {"config", "older-than", "batch-size"}, {"force"});
    const int batch = static_cast<int>(line.integer("batch-size", 1000));
    if (batch <= 0)
        throw UsageError("--batch-size must be positive");
    auto loaded = loadSettings(line);
    const auto olderThan = line.value("older-than");
    // Without --older-than: dedup.retention, which the configuration already keeps above the
    // retry horizon.
    const auto age =
        olderThan ? parseAge("--older-than", *olderThan) : loaded.settings.dedupRetention;
    const std::string ageText = olderThan ? *olderThan : durationText(age) + " (dedup.retention)";
    if (olderThan)
        requireBeyondRetryHorizon(loaded.settings.retry, *olderThan, age, line.has("force"));
    Database database(loaded.settings.db);
    DedupStore dedup(database.dialect(), loaded.settings.dedupTable);
    const std::int64_t cutoff = nowMillis() - age.count();
    // Partitioned: whole days first, then the batches below delete what is left of the edge day.
    PartitionDrops(database, loaded.settings).dedup(cutoff);
    std::size_t total = 0;
    Progress progress("removing deduplication rows", 0);
    for (;;) {
        // Small transactions: the consumers keep inserting while this runs.
        auto session = database.session();
        std::size_t n = dedup.removeOlderThan(*session, cutoff, batch);
        total += n;
        progress.advance(static_cast<std::int64_t>(n));
        if (n < static_cast<std::size_t>(batch))
            break;
    }
    std::cout << "removed " << total << " deduplication row(s) older than " << ageText << "\n";
    {
        // Records of handler runs whose message never came back (purged from its queue).
        auto session = database.session();
        const std::size_t stale =
            UnfinishedRuns(database.dialect(), loaded.settings.dedupTable, "cleanup")
                .removeOlderThan(*session, cutoff);
        if (stale > 0)
            std::cout << "removed " << stale << " record(s) of unfinished handler runs\n";
    }
    return 0;
}

} // namespace msgbus::core::cli
