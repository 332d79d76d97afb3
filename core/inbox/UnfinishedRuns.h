#pragma once

#include "core/db/Dialect.h"

#include <Poco/Data/Session.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace msgbus::core {

/// The handler runs of redelivered messages that began on one consumer and have not ended, in
/// the database (<dedup.table>_runs), so that the count survives the host process.
///
/// A run is recorded (and committed) just before the handlers of a redelivered message run,
/// and removed once its outcome is committed. One that is still there when the message comes
/// back means a host died while running it: a message that kills its host (a crash in a
/// handler, the OOM killer) is then run alone, and stopped after inbox.max_redeliveries, even
/// on a classic queue where the broker keeps no count. A first delivery is never recorded, so
/// the fast path pays nothing; only redelivered messages do.
///
/// A run that ends with the message given back alive (a database outage) is taken back with
/// abandon(); if even that fails, the caller remembers it (RedeliveryTracker::runLeftBehind).
///
/// Keys are digests of the message identity (keyOf), the consumer a validated name: both are
/// inlined in the SQL. Not thread-safe; the statements run on the caller's session, outside
/// any transaction of its own.
class UnfinishedRuns {
public:
    UnfinishedRuns(Dialect dialect, const std::string& dedupTable, std::string consumer);

    /// A fixed-size key for a message identity: its MD5 digest in hex, stable across hosts and
    /// versions.
    static std::string keyOf(const std::string& identity);

    /// The runs that began and did not end, per key (keys without any are left out).
    std::map<std::string, int> count(Poco::Data::Session& session,
                                     const std::vector<std::string>& keys);

    /// One more run of each key begins: committed at once, so that it survives whatever
    /// happens while the message runs.
    void begin(Poco::Data::Session& session, const std::vector<std::string>& keys);

    /// The runs ended with a committed outcome: forgotten.
    void finish(Poco::Data::Session& session, const std::vector<std::string>& keys);

    /// The runs ended without an outcome, their host alive (the message goes back to the
    /// broker): one run less each.
    void abandon(Poco::Data::Session& session, const std::vector<std::string>& keys);

    /// Removes the rows of every consumer whose last run began before cutoffMs: messages that
    /// never came back (purged from their queue). Returns how many went.
    std::size_t removeOlderThan(Poco::Data::Session& session, std::int64_t cutoffMs);

    const std::string& table() const noexcept { return _table; }

private:
    std::string keyList(const std::vector<std::string>& keys) const;

    Dialect _dialect;
    std::string _table;
    std::string _consumer;
};

} // namespace msgbus::core
