#pragma once

#include "core/db/Dialect.h"
#include "core/db/RowFilter.h"
#include "core/db/Schema.h"

#include <msgbus/Id.h>

#include <Poco/Data/Session.h>
#include <Poco/Types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace msgbus::core {

/// Where the broker took one outbox row: its seq and the exchange and routing key it went to.
struct DeliveredRoute {
    std::int64_t seq = 0;
    std::string exchange;
    std::string routingKey;
};

/// One delivery as the delivered table keeps it (without headers and body).
struct DeliveryRecord : ListedMessage {
    std::int64_t id = 0; ///< the delivery's own key: a message replayed has one per delivery
    std::int64_t deliveredAt = 0;
    std::string exchange;
    std::string routingKey;
    int attempts = 0; ///< publishes it took, the confirmed one included
};

/// The outbox's audit trail (outbox.keep_delivered): "<outbox.table>_delivered", one row per
/// confirmed delivery with its time, exchange and routing key, headers and body.
///
/// The rows live beside the outbox, not in it: the outbox holds only what is still to be sent,
/// so its claim, its depth and the producers' unique index never see the history, however
/// long it grows. Stateless apart from the table names; every call runs on the caller's
/// session, inside the caller's transaction where there is one.
class DeliveredStore {
public:
    DeliveredStore(Dialect dialect, std::string outboxTable);

    /// True when the table exists. Throws when the database cannot be asked.
    bool exists(Poco::Data::Session& session);

    /// Copies the given outbox rows into the delivered table, stamped with deliveredAt and
    /// their route, in one statement (the rows are copied inside the database, bodies never
    /// travel). The caller deletes them from the outbox in the same transaction.
    void record(Poco::Data::Session& session, const std::vector<DeliveredRoute>& routes,
                std::int64_t deliveredAt);

    /// The matching deliveries (the filter's window is on delivered_at), newest first, at most
    /// limit.
    std::vector<DeliveryRecord> list(Poco::Data::Session& session, const RowFilter& filter,
                                     int limit);

    /// How many deliveries match.
    std::int64_t count(Poco::Data::Session& session, const RowFilter& filter);

    /// The highest key there is (0 when the table is empty): a RowFilter's lastKey, so that a
    /// command walking the table never reaches deliveries recorded after it began.
    std::int64_t lastId(Poco::Data::Session& session);

    /// The keys of matching deliveries after afterId, oldest first, at most limit: the pages a
    /// replay walks through.
    std::vector<std::int64_t> keysAfter(Poco::Data::Session& session, const RowFilter& filter,
                                        std::int64_t afterId, int limit);

    /// Writes the given deliveries back into the outbox as new rows with their message ids,
    /// names, keys, headers and bodies (created_at and available_at = nowMs, no attempts), one
    /// statement. A message that is still pending in the outbox is left alone (its row is the
    /// one that will go). Returns how many rows were written.
    std::size_t replay(Poco::Data::Session& session, const std::vector<std::int64_t>& keys,
                       std::int64_t nowMs);

    // Alike on purpose: each store purges its own table (its statement; purgeBatch runs it).
    /// Deletes up to batchSize deliveries older than cutoffMs, oldest first; returns how many
    /// went. Several hosts may run it at once: each batch locks the rows it deletes only.
    std::size_t removeOlderThan(Poco::Data::Session& session, std::int64_t cutoffMs, int batchSize);

    const std::string& table() const noexcept { return _table; }

private:
    Dialect _dialect;
    std::string _outbox;
    std::string _table;
};

} // namespace msgbus::core
