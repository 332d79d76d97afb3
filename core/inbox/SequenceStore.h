#pragma once

#include "core/db/Dialect.h"
#include "core/db/LargeColumnReader.h"

#include <msgbus/Id.h>

#include <Poco/Data/Session.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace msgbus::core {

/// A message parked behind its key's head: the wire form as it arrived.
struct ParkedMessage {
    std::int64_t id = 0; ///< the arrival order
    std::string key;     ///< SequenceStore::keyOf(partition key)
    Id messageId;
    std::string messageName;
    std::string headersJson; ///< envelopeToJson of the wire message
    std::string body;
    std::int64_t parkedAt = 0;
};

/// One open sequence, for operators.
struct SequenceInfo {
    std::string consumer;
    std::string key;
    std::optional<Id> head; ///< nothing: the head was resolved, the release is pending
    std::int64_t openedAt = 0;
    std::int64_t parked = 0;
    std::optional<std::int64_t> oldestParkedAt;
};

/// The sequences and parked tables of ordered consumers (<dedup.table>_sequences and
/// <dedup.table>_parked). Every statement on them is here; each runs on the caller's session,
/// inside the caller's transaction when it has one. Consumer names are validated identifiers
/// ([A-Za-z0-9_-]) and are written into the statements; keys and bodies are bound.
///
/// Lock order, which makes parking and release exclusive per key on MariaDB (READ COMMITTED,
/// no gap locks): both the inbox (lockOpen) and the release (lockReleased) lock the key's
/// sequence row first, and only the release deletes it, after finding no parked row left under
/// that lock. An inbox batch either waits for that lock and then finds no row (the release has
/// committed: it runs its message) or finds the row and parks (the release, waiting on the lock,
/// then sees the new parked row). SQLite's write transactions are serialised whole.
///
/// Not thread-safe (the session is not).
class SequenceStore {
public:
    SequenceStore(Dialect dialect, const std::string& dedupTable);

    /// The form a partition key is kept in: the key itself when it is valid UTF-8 without NUL
    /// and at most 255 bytes long, else "sha256:<hex>" of it (a key column holds no more, and
    /// any key a producer sends must still order its messages).
    static std::string keyOf(const std::string& partitionKey);

    /// Which of keys (keyOf forms) have an open sequence of consumer, with each one's head
    /// (nothing: released), read with a row lock on MariaDB (SELECT ... FOR UPDATE) that is
    /// held until the caller's transaction ends.
    std::map<std::string, std::optional<Id>> lockOpen(Poco::Data::Session& session,
                                                      const std::string& consumer,
                                                      const std::vector<std::string>& keys);

    /// Opens key's sequence with head as its head. When it is open already, its head stays
    /// unless replaceHead (the release, whose parked message failed under the sequence's lock,
    /// is the only one that may take a released sequence's place): a head that is still
    /// retrying or waiting for an operator must not be overtaken by a later message.
    void open(Poco::Data::Session& session, const std::string& consumer, const std::string& key,
              const Id& head, std::int64_t nowMs, bool replaceHead = false);

    /// Inserts the parked rows in their order (a few multi-row statements).
    void park(Poco::Data::Session& session, const std::string& consumer,
              const std::vector<ParkedMessage>& rows, std::int64_t nowMs);

    /// Marks the sequence whose head is head as resolved (head NULL): its parked messages are
    /// due. Returns how many sequences it resolved (0 or 1).
    std::size_t resolve(Poco::Data::Session& session, const std::string& consumer, const Id& head);

    /// resolve() for an operator's removal or skip of a failed-table row: source is the row's
    /// ("amqp:<consumer>"); nothing happens unless that consumer is one of orderedConsumers.
    /// True when the row was a head.
    bool resolveRow(Poco::Data::Session& session, const std::string& source, const Id& head,
                    const std::vector<std::string>& orderedConsumers);

    /// Up to limit keys of consumer whose head is resolved.
    std::vector<std::string> released(Poco::Data::Session& session, const std::string& consumer,
                                      int limit);

    /// Locks key's sequence (FOR UPDATE on MariaDB); true when it is open with its head
    /// resolved, that is when its parked messages may run now.
    bool lockReleased(Poco::Data::Session& session, const std::string& consumer,
                      const std::string& key);

    /// The first up to limit parked messages of key, in arrival order.
    std::vector<ParkedMessage> nextParked(Poco::Data::Session& session, const std::string& consumer,
                                          const std::string& key, int limit);

    void removeParked(Poco::Data::Session& session, std::int64_t id);

    /// Whether the parked row id is there (a deleted one comes back when the server rolled the
    /// transaction that deleted it back).
    bool parkedExists(Poco::Data::Session& session, std::int64_t id);

    /// The key whose head is the failed-table row of source ("amqp:<consumer>") and message
    /// id head, when it is one (and that consumer is one of orderedConsumers).
    std::optional<std::string> keyHeadedBy(Poco::Data::Session& session, const std::string& source,
                                           const Id& head,
                                           const std::vector<std::string>& orderedConsumers);

    /// An operator's escape: releases key's sequence whatever its head (the head's retry or
    /// failed row, if any, stays where it is). True when the key had a sequence.
    bool release(Poco::Data::Session& session, const std::string& consumer, const std::string& key);

    /// Deletes key's sequence (call it under lockReleased, with no parked message left).
    void close(Poco::Data::Session& session, const std::string& consumer, const std::string& key);

    /// Up to limit open sequences (of consumer, when given), oldest first, with their counts.
    std::vector<SequenceInfo> list(Poco::Data::Session& session,
                                   const std::optional<std::string>& consumer, int limit);

    /// The consumers that have open sequences.
    std::vector<std::string> consumers(Poco::Data::Session& session);

    /// How many messages are parked, over every consumer.
    std::int64_t parkedCount(Poco::Data::Session& session);

    const std::string& sequencesTable() const noexcept { return _sequences; }
    const std::string& parkedTable() const noexcept { return _parked; }

private:
    Dialect _dialect;
    std::string _sequences;
    std::string _parked;
    LargeColumnReader _heavy;
};

} // namespace msgbus::core
