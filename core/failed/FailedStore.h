#pragma once

#include "core/db/Dialect.h"
#include "core/db/LargeColumnReader.h"

#include <msgbus/Id.h>

#include <Poco/Data/Session.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace msgbus::core {

/// A row of the failed table: queue_name "retry" (due again at available_at), "running" (a retry
/// worker leased it for a run until available_at) or "failed" (waits for an operator).
struct FailedRecord {
    std::int64_t id = 0;
    std::string queueName = "failed";
    std::string source; ///< "outbox" or "amqp:<consumer>"
    std::optional<Id> messageId;
    std::optional<std::string> messageName;
    std::string envelopeJson; ///< headers column: AMQP properties and typed headers
    std::string body;         ///< raw bytes, as received
    std::string errorClass;
    std::string errorMessage;
    int attempts = 0;
    std::int64_t createdAt = 0;
    std::int64_t availableAt = 0;
    std::optional<std::int64_t> failedAt;
    /// Who took it for its last run (lease()): "<host.id or host name>:<pid>". Meaningful only
    /// while the row is "running" and its lease has not run out.
    std::optional<std::string> leasedBy;
};

/// SQL on the failed/retry table, on the caller's session and transaction.
class FailedStore {
public:
    FailedStore(Dialect dialect, std::string table);

    /// Inserts the row and returns its id; record is left as it was stored. Storing a failure
    /// does not fail for what the row holds: text columns get valid UTF-8 cut to their size, a body
    /// that would not fit the column or the server's max_allowed_packet is cut (the error message
    /// says so first, see bodyCutNote(), and a "retry" row becomes "failed": a retry must not run
    /// on a cut body), and when the INSERT still fails for anything but a lost connection or a lock
    /// conflict, the row is stored without headers and body, the reason saying why. Those two
    /// throw: the caller's transaction is gone.
    std::int64_t insert(Poco::Data::Session& session, FailedRecord& record);

    /// Retry rows of the given sources due at nowMs, oldest first, with "running" rows whose
    /// lease ran out (their host died, or their run outlasted the lease). Not locked: the retry
    /// worker leases each before it runs it (lease()), and the dedup key makes a concurrent
    /// second attempt a duplicate.
    std::vector<FailedRecord> claimDueRetries(Poco::Data::Session& session, int limit,
                                              std::int64_t nowMs,
                                              const std::vector<std::string>& sources);

    /// Rows for failed:list (newest first), filtered by source and name when not empty.
    std::vector<FailedRecord> list(Poco::Data::Session& session, const std::string& queueName,
                                   const std::string& source, const std::string& name, int limit);
    /// Takes a due retry row for one run, before it runs: it becomes a "running" row, its
    /// attempts attempts + 1, due again at availableAt (should its host die while running it).
    /// Committed at once (autocommit). False when the row changed since it was read as
    /// queueName with attempts (another host took it, an operator moved it): then it is not
    /// this host's to run. owner is written with the lease (leased_by), so that an operator
    /// sees which process runs the row.
    bool lease(Poco::Data::Session& session, std::int64_t id, const std::string& queueName,
               int attempts, std::int64_t availableAt, const std::string& owner);

    /// Gives a leased row back unrun (the run could not start or commit anything: a database
    /// outage): "retry" again, attempts as before, due now. False when it changed meanwhile.
    bool unlease(Poco::Data::Session& session, std::int64_t id, int leasedAttempts);

    std::optional<FailedRecord> find(Poco::Data::Session& session, std::int64_t id);

    void remove(Poco::Data::Session& session, std::int64_t id);
    /// Moves a retry row on: next attempt at availableAt, or to "failed" when failedAt is set.
    void update(Poco::Data::Session& session, const FailedRecord& record);
    /// update() for a row read (not leased) as claimedQueue with claimedAttempts: only while it
    /// is still so. False when another host took it or an operator moved or removed it.
    bool updateIfUnchanged(Poco::Data::Session& session, const FailedRecord& record,
                           const std::string& claimedQueue, int claimedAttempts);

    /// Row counts per queue_name: ("retry" and "running", "failed").
    std::pair<std::int64_t, std::int64_t> counts(Poco::Data::Session& session);

    const std::string& table() const noexcept { return _table; }

private:
    /// Cuts record to what the columns and the packet take (see insert()).
    void fit(Poco::Data::Session& session, FailedRecord& record);
    std::int64_t insertRow(Poco::Data::Session& session, const FailedRecord& record);
    /// The largest body a row can take besides otherBytes of other columns (MySQL: the column
    /// and max_allowed_packet, read once).
    std::size_t bodyCapacity(Poco::Data::Session& session, std::size_t otherBytes);
    /// The UPDATE of update(), limited by condition (SQL over this table's columns).
    std::size_t updateWhere(Poco::Data::Session& session, const FailedRecord& record,
                            const std::string& condition);
    /// True when the table has the failure_group column (a table made by an older msgbus lacks
    /// it until `msgbus setup` runs); looked up once.
    bool hasGroupColumn(Poco::Data::Session& session);
    /// The failure_group of record; its name and source are read from the row when record
    /// lacks them (an update built from the row id alone).
    std::string groupOf(Poco::Data::Session& session, const FailedRecord& record);
    std::vector<FailedRecord> select(Poco::Data::Session& session, const std::string& where,
                                     const std::vector<std::string>& params, int limit,
                                     const std::string& order, bool lock);
    Dialect _dialect;
    std::string _table;
    LargeColumnReader _heavy; ///< headers and body
    std::optional<std::size_t> _maxPacket;
    std::optional<bool> _groupColumn;
};

} // namespace msgbus::core
