#pragma once

#include "core/db/Database.h"

#include <Poco/Logger.h>

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace msgbus::core {

/// Which ordered lanes (outbox.ordered = true) this relay owns. A partition key belongs to lane
/// CRC32(key) % outbox.lanes, and each lane has one owner at a time, so the rows of one key are
/// published by one relay, in seq order.
///
/// MariaDB: ownership is an advisory lock GET_LOCK('msgbus.<table>.lane.<n>') held on a
/// dedicated connection of this relay; it vanishes with the connection, so a crashed owner's
/// lanes are taken over by the next refresh() of another relay (every few seconds). Relay i of W
/// in a process first claims the lanes n with n % W == i, so the threads share the work.
/// SQLite: one relay per file, it owns every lane.
/// Not thread-safe: one per relay thread.
class LaneOwnership {
public:
    LaneOwnership(Database& database, std::string table, int lanes, int index, int workers);
    ~LaneOwnership();

    /// Call before each batch: checks the lock connection is alive (one round trip) and every
    /// few seconds tries to take free lanes (own share at once, the others after a grace
    /// period, so a crashed owner's lanes are taken over). On a lost connection every lane is
    /// dropped and retaken later.
    void refresh();

    const std::set<int>& owned() const noexcept { return _owned; }
    int lanes() const noexcept { return _lanes; }
    bool ownsAll() const noexcept { return static_cast<int>(_owned.size()) == _lanes; }

    /// The lane of a partition key: CRC32 (the same as MariaDB's CRC32()) modulo lanes.
    static int laneOf(const std::string& partitionKey, int lanes);

private:
    bool tryLock(int lane);
    Database& _database;
    std::string _table;
    int _lanes;
    int _index;
    int _workers;
    std::optional<Poco::Data::Session> _session;
    std::set<int> _owned;
    std::chrono::steady_clock::time_point _started;
    std::chrono::steady_clock::time_point _lastRefresh{};
    Poco::Logger& _log;
};

} // namespace msgbus::core
