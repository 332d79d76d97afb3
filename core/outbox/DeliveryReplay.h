#pragma once

#include "core/db/RowFilter.h"
#include "core/outbox/DeliveredStore.h"

#include <Poco/Data/Session.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace msgbus::core {

class Database;

/// A replay of kept deliveries into the outbox (`msgbus outbox:replay` and the console's
/// replay): the same ids go out again.
///
/// The window is fixed when the replay is made, before it reads any delivery: deliveries
/// recorded up to the last one there was then and, for a time window without an end, delivered
/// before then. A relay running with outbox.keep_delivered records the replayed messages (and
/// live traffic) behind the replay as it goes: an open window would reach them and replay them
/// again, and with a fast relay never end. Given ids, each one's latest delivery is replayed.
/// Runs on the caller's session, one transaction per page. Throws what the database throws.
class DeliveryReplay {
public:
    struct Result {
        std::int64_t written = 0; ///< rows written into the outbox
        std::int64_t matched = 0; ///< deliveries in the window (pending ones are not rewritten)
    };

    /// given: message ids, or names and a time window (since required); startedMs: now.
    DeliveryReplay(Database& database, Poco::Data::Session& session, DeliveredStore& store,
                   const RowFilter& given, std::int64_t startedMs);

    /// The bound window (lastKey set; until set unless ids were given).
    const RowFilter& window() const noexcept { return _window; }
    bool byIds() const noexcept { return !_window.ids.empty(); }

    /// The given ids that have no delivery in the window (byIds only).
    const std::vector<std::string>& missingIds() const noexcept { return _missing; }

    /// How many deliveries the replay will write back (at most).
    std::int64_t total();

    /// Writes them back, batch per transaction; progress gets each page's size.
    Result run(std::size_t batch, const std::function<void(std::int64_t)>& progress = {});

private:
    void page(const std::vector<std::int64_t>& keys, Result& result,
              const std::function<void(std::int64_t)>& progress);

    Database& _database;
    Poco::Data::Session& _session;
    DeliveredStore& _store;
    RowFilter _window;
    std::vector<std::int64_t> _idKeys; ///< byIds: each id's latest delivery
    std::vector<std::string> _missing;
};

} // namespace msgbus::core
