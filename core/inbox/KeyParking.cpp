#include "core/inbox/KeyParking.h"

#include "core/db/Transaction.h"
#include "core/failed/StoredEnvelope.h"
#include "core/util/Clock.h"

namespace msgbus::core {
namespace {

const std::string kSavepoint = "msgbus_park";

} // namespace

KeyParking::KeyParking(std::string consumer, bool ordered, SequenceStore& store, DedupStore& dedup)
    : _consumer(std::move(consumer)), _ordered(ordered), _store(store), _dedup(dedup) {}

std::optional<std::string> KeyParking::keyOf(const PreparedMessage& p) const {
    if (!_ordered || !p.message || p.item->retryRowId != 0)
        return std::nullopt;
    const auto& key = p.message->partitionKey();
    if (!key || key->empty())
        return std::nullopt;
    return SequenceStore::keyOf(*key);
}

std::vector<PreparedMessage*> KeyParking::begin(Poco::Data::Session& session,
                                                std::vector<PreparedMessage*> fresh) {
    if (!_ordered || fresh.empty())
        return fresh;
    std::vector<std::string> keys;
    for (const auto* p : fresh)
        if (auto key = keyOf(*p))
            keys.push_back(*key);
    if (keys.empty())
        return fresh;
    const auto open = _store.lockOpen(session, _consumer, keys);
    for (const auto& [key, head] : open)
        _blocked.insert(key);
    if (_blocked.empty())
        return fresh;
    std::vector<PreparedMessage*> run, parked;
    for (auto* p : fresh) {
        auto key = keyOf(*p);
        const auto it = key ? open.find(*key) : open.end();
        if (it != open.end() && it->second == p->message->id())
            // The head itself, delivered again (its ack was lost after its failure committed):
            // its retry or failed row owns it, and parked behind itself it would run last.
            p->result = ProcessResult::Duplicate;
        else
            (key && _blocked.count(*key) ? parked : run).push_back(p);
    }
    park(session, parked);
    return run;
}

bool KeyParking::parkIfBlocked(Poco::Data::Session& session, PreparedMessage& p) {
    if (_blocked.empty())
        return false;
    auto key = keyOf(p);
    if (!key || !_blocked.count(*key))
        return false;
    PreparedMessage* one = &p;
    park(session, std::span<PreparedMessage* const>(&one, 1));
    return true;
}

void KeyParking::failed(Poco::Data::Session& session, const PreparedMessage& p, bool replaceHead) {
    if (!_ordered || !p.message)
        return;
    const auto& partitionKey = p.message->partitionKey();
    if (!partitionKey || partitionKey->empty())
        return;
    const std::string key = SequenceStore::keyOf(*partitionKey);
    _store.open(session, _consumer, key, p.message->id(), nowMillis(), replaceHead);
    _blocked.insert(key);
}

void KeyParking::resolveHeads(Poco::Data::Session& session,
                              std::span<const PreparedMessage> batch) {
    if (!_ordered)
        return;
    for (const auto& p : batch)
        if (p.item->retryRowId != 0 && p.message &&
            (p.result == ProcessResult::Handled || p.result == ProcessResult::Duplicate))
            _store.resolve(session, _consumer, p.message->id());
}

void KeyParking::park(Poco::Data::Session& session, std::span<PreparedMessage* const> messages) {
    const std::int64_t now = nowMillis();
    std::vector<PreparedMessage*> parking;
    std::vector<DedupStore::Entry> entries;
    for (auto* p : messages)
        entries.push_back({p->message->id(), p->message->name()});
    Transaction::Savepoints sp(session);
    sp.set(kSavepoint);
    if (_dedup.tryInsertAll(session, _consumer, entries, now) == entries.size()) {
        parking.assign(messages.begin(), messages.end());
    } else {
        // Some were committed by another worker since the batch looked: those are duplicates.
        // Undone, the insert is made again message by message, which tells them apart.
        sp.rollbackTo(kSavepoint);
        for (auto* p : messages)
            if (_dedup.tryInsert(session, p->message->id(), _consumer, p->message->name(), now))
                parking.push_back(p);
    }
    std::vector<ParkedMessage> rows;
    rows.reserve(parking.size());
    for (auto* p : parking) {
        const WireMessage& wire = *p->item->wire;
        rows.push_back(ParkedMessage{0, *keyOf(*p), p->message->id(), p->message->name(),
                                     envelopeToJson(wire), wire.body, now});
        p->result = ProcessResult::Parked;
    }
    _store.park(session, _consumer, rows, now);
    for (auto* p : messages)
        if (p->result != ProcessResult::Parked)
            p->result = ProcessResult::Duplicate;
}

} // namespace msgbus::core
