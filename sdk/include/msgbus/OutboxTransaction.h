#pragma once

#include "msgbus/Doorbell.h"
#include "msgbus/Export.h"
#include "msgbus/Id.h"
#include "msgbus/Message.h"
#include "msgbus/OutboxWriter.h"

#include <memory>
#include <vector>

namespace Poco::Data {
class Session;
}

namespace msgbus {

/// A business transaction that writes outbox rows and rings the relays once it committed:
///
///     msgbus::OutboxTransaction tx(session);           // BEGIN
///     session << "UPDATE orders SET ...", now;         // the business change
///     tx.write(event);                                 // the event, same transaction
///     tx.commit();                                     // COMMIT, then one ring
///
/// The destructor rolls back a transaction that was neither committed nor rolled back (and
/// rings nothing). Begins with START TRANSACTION on MySQL (MariaDB), which leaves the session's
/// autocommit setting as it was, and with BEGIN IMMEDIATE on SQLite, which takes the write lock
/// up front (waiting up to the session's busy timeout) instead of failing on a lock upgrade.
/// Not thread-safe, like the session.
class MSGBUS_API OutboxTransaction {
public:
    /// Begins a transaction on session; options as for OutboxWriter. commit() rings doorbell,
    /// or Doorbell::standard() (the hosts' default address) when it is null.
    explicit OutboxTransaction(Poco::Data::Session& session, OutboxWriter::Options options = {},
                               std::shared_ptr<const Doorbell> doorbell = nullptr);
    ~OutboxTransaction();
    OutboxTransaction(const OutboxTransaction&) = delete;
    OutboxTransaction& operator=(const OutboxTransaction&) = delete;

    /// OutboxWriter::write() inside this transaction.
    Id write(Message& message);
    std::vector<Id> write(std::vector<Message>& messages);

    /// Commits, then rings the doorbell when rows were written. When the COMMIT throws, the
    /// transaction is rolled back, nothing rings and the exception propagates; the ring itself
    /// never throws.
    void commit();
    /// Rolls back; nothing rings.
    void rollback();
    /// True until commit() or rollback().
    bool active() const noexcept { return _active; }

private:
    Poco::Data::Session& _session;
    OutboxWriter _writer;
    std::shared_ptr<const Doorbell> _doorbell;
    bool _mysql;
    bool _active = false;
};

} // namespace msgbus
