#pragma once

#include "msgbus/Export.h"

#include "msgbus/Id.h"
#include "msgbus/Message.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace Poco::Data {
class Session;
}

namespace msgbus {

class Doorbell;

/// Writes messages into the outbox table through the application's own session, inside the
/// application's own transaction: the events commit or roll back with the business data.
///
/// Validates each message where it enters (name, payload is a JSON object, valid UTF-8, size),
/// throwing InvalidArgument that names the message and the problem, so a bad event is refused in
/// the producer's transaction instead of being discovered by the relay. Mints the id (UUIDv7)
/// unless the message has one, and sets createdAt when it is 0. A message with a delivery time
/// (Message::setDeliverAt/setDelay) gets it as the row's available_at (a time in the past: now),
/// and the relays publish it when it falls due; the delivery-time header is not stored.
///
/// After the application's COMMIT, notify() rings the hosts' relays (see Doorbell), so the rows
/// are published at once rather than at the relays' next poll; OutboxTransaction does both.
///
/// Works with Poco::Data sessions of the MySQL (MariaDB) and SQLite connectors. Not thread-safe:
/// one writer per session, like the session itself.
class MSGBUS_API OutboxWriter {
public:
    struct Options {
        std::string table = "messenger_outbox";
        std::size_t maxBodyBytes = 1024 * 1024;
    };

    explicit OutboxWriter(Poco::Data::Session& session);
    OutboxWriter(Poco::Data::Session& session, Options options);

    /// Inserts one row; returns the message's id (also stored into message).
    Id write(Message& message);
    /// Inserts the messages in the caller's transaction with multi-row INSERTs (at most
    /// kMaxRowsPerStatement rows and, past the first row, kMaxBytesPerStatement bytes of all
    /// their columns, headers included, each: a round trip per statement, not per row); returns
    /// their ids in order. Validates
    /// them all before the first insert. When a statement fails, which of its rows was at fault
    /// is not known; the caller's transaction decides what the failure undoes.
    std::vector<Id> write(std::vector<Message>& messages);

    /// The most rows one INSERT of write() carries.
    static constexpr std::size_t kMaxRowsPerStatement = 100;
    /// The most bytes one INSERT of write() carries (every column of every row, with
    /// kRowOverheadBytes a row for the protocol's framing), unless a single row is larger: well
    /// below MariaDB's default max_allowed_packet of 16 MiB.
    static constexpr std::size_t kMaxBytesPerStatement = 4 * 1024 * 1024;
    /// What a row costs in a statement besides its values' bytes (length prefixes, types, the
    /// two 8-byte times), counted generously.
    static constexpr std::size_t kRowOverheadBytes = 128;

    /// Call after the transaction that holds the written rows committed (not before: a relay
    /// woken early finds nothing and sleeps again). Rings doorbell when rows were written since
    /// the last notify(), otherwise does nothing. Never throws and never blocks: at most one
    /// non-blocking sendto.
    void notify(const Doorbell& doorbell) noexcept;
    /// notify() with Doorbell::standard(), the hosts' default address.
    void notify() noexcept;

    /// Throws InvalidArgument when the message could not be written (see class comment).
    static void validate(const Message& message, std::size_t maxBodyBytes);

private:
    /// One multi-row INSERT of rows (validated, with ids and createdAt set) with their stored
    /// headers.
    void insertRows(std::span<const Message> rows, std::span<std::string> headers,
                    std::int64_t now);
    /// The headers column of message: its headers as JSON, without the delivery time.
    static std::string storedHeaders(const Message& message);
    /// What message's row adds to a statement, in bytes.
    static std::size_t rowBytes(const Message& message, const std::string& headers);

    Poco::Data::Session& _session;
    Options _options;
    bool _mysql;
    bool _unannounced = false; ///< rows written since the last notify()
};

} // namespace msgbus
