#pragma once

#include <Poco/Data/Session.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace msgbus::core {

/// What the host reads or sends directly on the MariaDB Connector/C connection under a Poco
/// MySQL session. Poco runs every statement as a prepared statement (a prepare and an execute:
/// two round trips) and its begin() and autoCommit feature add statements of their own; the
/// transaction boundaries and the pool's checks go through here instead, in one round trip each
/// or none. Each takes a session of the MySQL connector; not thread-safe, like the session.
class MysqlLink {
public:
    /// Sends sql as one text query of statements that return no rows ("COMMIT; SET
    /// autocommit = 1": several, separated by ';', after allowMultiStatements()), in one round
    /// trip. Throws Poco::Data::MySQL::TransactionException carrying the server's error number
    /// (so that isConnectionLost() and isLockConflict() read it), naming what; the statements
    /// after a failing one do not run. A session without a connection (closed) throws
    /// Poco::Data::SessionUnavailableException: a lost connection, like the server's 2006.
    static void query(Poco::Data::Session& session, const std::string& sql,
                      const std::string& what);
    /// Runs statements that return no rows as one text query, in one round trip (a Poco
    /// statement prepares first: two); returns the rows the last one changed (the ones before
    /// it set the session up: Transaction::kBeginSql). For statements whose values are written
    /// into sql (numbers, hex literals, checked names), never user text. Throws as query(),
    /// whichever statement fails; several statements need allowMultiStatements() (a session
    /// of Database has it), else it throws before sending anything.
    static std::uint64_t execute(Poco::Data::Session& session, const std::string& sql,
                                 const std::string& what);
    /// Runs one SELECT as a text query, in one round trip; returns its first row's first
    /// column as an integer (std::nullopt: no row, or NULL). Same rules as execute().
    static std::optional<std::int64_t>
    selectInteger(Poco::Data::Session& session, const std::string& sql, const std::string& what);
    /// One row of a text query's result: each column's bytes, std::nullopt for NULL.
    using TextRow = std::vector<std::optional<std::string>>;
    /// Runs a SELECT as a text query, in one round trip, and returns its rows (binary-safe:
    /// BLOBs come back byte for byte). sql may hold statements without rows in front of it (a
    /// transaction's begin) once allowMultiStatements() ran. Same rules as execute().
    static std::vector<TextRow> selectRows(Poco::Data::Session& session, const std::string& sql,
                                           const std::string& what);
    /// query() for text that ends a transaction (COMMIT or ROLLBACK, after before statements
    /// of the transaction's last work) and whose later statements put the session's settings
    /// back. Once the end has succeeded, the transaction has ended as asked whatever the later
    /// ones do: their failure (the connection lost between the results, a KILL QUERY) throws
    /// nothing, but the connection is closed, so that the session, whose settings are now
    /// unknown, is never used again (its next statement fails as on a lost connection, and the
    /// pool drops it); the later statement's error is returned then. Throws as query() when
    /// the end or a statement before it failed: nothing was committed then, and the
    /// transaction is still open, unless the end's own answer was lost with the connection.
    static std::optional<std::string> endTransaction(Poco::Data::Session& session,
                                                     const std::string& sql,
                                                     const std::string& what,
                                                     std::size_t before = 0);
    /// Lets query() send several statements at once, for the rest of the connection (one round
    /// trip). Prepared statements stay one statement each whatever this says.
    static void allowMultiStatements(Poco::Data::Session& session);

    /// True when allowMultiStatements() ran on the connection (no round trip).
    static bool multiStatements(Poco::Data::Session& session) noexcept;
    /// True when the server's last reply said a transaction is open (no round trip).
    static bool inTransaction(Poco::Data::Session& session) noexcept;
    /// True when the server's last reply said autocommit is on (no round trip).
    static bool autocommit(Poco::Data::Session& session) noexcept;
    /// True when Connector/C has closed the connection after an error (no round trip).
    static bool closed(Poco::Data::Session& session) noexcept;
    /// One COM_PING round trip: true when the server answers. Never throws.
    static bool ping(Poco::Data::Session& session) noexcept;
    /// Closes the connection as a lost one would be (closed() is true afterwards); the Poco
    /// session stays valid, its statements fail. Never throws.
    static void abandon(Poco::Data::Session& session) noexcept;
};

} // namespace msgbus::core
