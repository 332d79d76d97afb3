#pragma once

#include "core/inbox/DedupStore.h"
#include "core/inbox/PreparedMessage.h"
#include "core/inbox/SequenceStore.h"

#include <Poco/Data/Session.h>

#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace msgbus::core {

/// Per-key parking of an ordered consumer (inbox.consumer.<c>.ordered) within one inbox
/// transaction: which messages of the batch run, and which are parked behind their key's head.
///
/// A message with a partition key parks when its key has an open sequence (a head in the
/// retry or failed table, or a release pending), or when an earlier message of the same key
/// failed in this transaction. Parked, it gets its dedup row (a redelivery is a duplicate) and
/// a parked row, in the batch's transaction, and its handler does not run. A message that ends
/// in a retry or failed row opens its key's sequence with itself as the head. A message that
/// comes from the retry table is never parked: it is a head, or a row an operator chose to run.
///
/// For a consumer that is not ordered every call does nothing, and no statement touches the
/// parking tables.
///
/// Not thread-safe: one per worker thread, reset at the start of every transaction.
class KeyParking {
public:
    /// store and dedup are borrowed and must outlive it.
    KeyParking(std::string consumer, bool ordered, SequenceStore& store, DedupStore& dedup);

    bool ordered() const noexcept { return _ordered; }

    /// Forgets the keys blocked in the last transaction: call at the start of each.
    void reset() noexcept { _blocked.clear(); }

    /// After the screening of a transaction: reads the open sequences of fresh's keys (a locking
    /// read), parks the messages whose key is open and returns the others, in their order. A parked
    /// message's dedup row that exists already (another worker committed it since the batch
    /// looked) makes it a duplicate instead, and so does a key's head delivered again.
    std::vector<PreparedMessage*> begin(Poco::Data::Session& session,
                                        std::vector<PreparedMessage*> fresh);

    /// Parks p when an earlier message of its key failed in this transaction; true when it did.
    bool parkIfBlocked(Poco::Data::Session& session, PreparedMessage& p);

    /// After p's failure was recorded (p.result Retry or Failed): opens its key's sequence with
    /// p as the head (an open sequence keeps its head unless replaceHead: see
    /// SequenceStore::open), and later messages of its key in this transaction park.
    void failed(Poco::Data::Session& session, const PreparedMessage& p, bool replaceHead = false);

    /// The heads among batch's messages from the retry table that are now done: their
    /// sequences are released (head NULL), to run their parked messages (SequenceReleaser).
    void resolveHeads(Poco::Data::Session& session, std::span<const PreparedMessage> batch);

private:
    /// The key p is ordered by, when p can park at all.
    std::optional<std::string> keyOf(const PreparedMessage& p) const;
    void park(Poco::Data::Session& session, std::span<PreparedMessage* const> messages);

    std::string _consumer;
    bool _ordered;
    SequenceStore& _store;
    DedupStore& _dedup;
    std::set<std::string> _blocked;
};

} // namespace msgbus::core
