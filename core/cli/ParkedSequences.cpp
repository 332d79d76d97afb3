#include "core/cli/ParkedSequences.h"

#include "core/inbox/SequenceStore.h"
#include "core/util/Utf8Text.h"

#include <msgbus/internal/Json.h>

#include <Poco/Data/DataException.h>
#include <Poco/Data/LOB.h>
#include <Poco/Data/Statement.h>

#include <iomanip>

namespace msgbus::core::cli {

using namespace Poco::Data::Keywords;

namespace {

const std::string kInboxSource = "amqp:";

std::string ageText(const std::optional<std::int64_t>& since, std::int64_t nowMs) {
    if (!since)
        return "-";
    return std::to_string(std::max<std::int64_t>(0, nowMs - *since) / 1000) + " s";
}

} // namespace

ParkedSequences::ParkedSequences(const Settings& settings, Dialect dialect)
    : _settings(settings), _dialect(dialect), _heads(settings, dialect) {
    for (const auto& consumer : settings.inbox.consumers)
        _ordered = _ordered || consumer.ordered;
}

bool ParkedSequences::shown(Poco::Data::Session& session) const {
    return _heads.sequencesShown(session);
}

std::string ParkedSequences::headError(Poco::Data::Session& session, const std::string& consumer,
                                       const Id& head) const {
    std::string source = kInboxSource + consumer;
    Poco::Data::BLOB id(head.bytes().data(), head.bytes().size());
    std::vector<std::string> classes, messages;
    session << "SELECT error_class, error_message FROM " + _settings.failedTable +
                   " WHERE source = ? AND message_id = ? ORDER BY id DESC LIMIT 1",
        use(source), use(id), into(classes), into(messages), now;
    return classes.empty() ? std::string() : classes[0] + ": " + messages[0];
}

std::string ParkedSequences::json(Poco::Data::Session& session, int limit,
                                  std::int64_t nowMs) const {
    if (!shown(session))
        return "[]";
    SequenceStore store(_dialect, _settings.dedupTable);
    std::string out = "[";
    const auto sequences = store.list(session, std::nullopt, limit);
    for (std::size_t i = 0; i < sequences.size(); ++i) {
        const auto& s = sequences[i];
        const std::string error = s.head ? headError(session, s.consumer, *s.head) : "";
        out += std::string(i ? "," : "") + "{\"consumer\":" + json::quote(s.consumer) +
               ",\"key\":" + json::quote(lossyUtf8(s.key)) +
               ",\"head_message_id\":" + (s.head ? json::quote(s.head->toString()) : "null") +
               ",\"head_error\":" + (error.empty() ? "null" : json::quote(lossyUtf8(error))) +
               ",\"parked\":" + std::to_string(s.parked) + ",\"oldest_parked_age_seconds\":" +
               (s.oldestParkedAt ? std::to_string((nowMs - *s.oldestParkedAt) / 1000) : "null") +
               ",\"opened_at\":" + std::to_string(s.openedAt) + "}";
    }
    return out + "]";
}

void ParkedSequences::print(std::ostream& out, Poco::Data::Session& session, int limit,
                            std::int64_t nowMs) const {
    if (!shown(session))
        return;
    SequenceStore store(_dialect, _settings.dedupTable);
    const auto sequences = store.list(session, std::nullopt, limit);
    if (sequences.empty())
        return;
    out << "\nparked sequences (a key's messages wait behind its head):\n"
        << std::left << std::setw(16) << "CONSUMER" << std::setw(24) << "KEY" << std::setw(38)
        << "HEAD MESSAGE ID" << std::setw(8) << "PARKED" << std::setw(10) << "OLDEST"
        << "HEAD ERROR\n";
    for (const auto& s : sequences) {
        const std::string error = s.head ? headError(session, s.consumer, *s.head) : "";
        out << std::left << std::setw(16) << s.consumer << std::setw(24)
            << singleLineText(std::string(utf8Prefix(s.key, 23))) << std::setw(38)
            << (s.head ? s.head->toString() : "(released)") << std::setw(8) << s.parked
            << std::setw(10) << ageText(s.oldestParkedAt, nowMs)
            << singleLineText(std::string(utf8Prefix(error, 80))) << "\n";
    }
    out << sequences.size() << " parked sequence(s)\n";
}

std::string ParkedSequences::countsJson(Poco::Data::Session& session) const {
    if (!shown(session))
        return "\"parked_sequences\":0,\"parked\":0";
    SequenceStore store(_dialect, _settings.dedupTable);
    Poco::Int64 sequences = 0;
    session << "SELECT COUNT(*) FROM " + store.sequencesTable(), into(sequences), now;
    return "\"parked_sequences\":" + std::to_string(sequences) +
           ",\"parked\":" + std::to_string(store.parkedCount(session));
}

void ParkedSequences::printCounts(std::ostream& out, Poco::Data::Session& session) const {
    if (!shown(session))
        return;
    SequenceStore store(_dialect, _settings.dedupTable);
    Poco::Int64 sequences = 0;
    session << "SELECT COUNT(*) FROM " + store.sequencesTable(), into(sequences), now;
    out << "parked sequences:      " << sequences << "\n"
        << "parked messages:       " << store.parkedCount(session) << "\n";
}

bool ParkedSequences::releaseHead(Poco::Data::Session& session, const FailedRecord& row) const {
    return _heads.releaseHead(session, row);
}

} // namespace msgbus::core::cli
