#pragma once

#include <exception>

namespace msgbus::core {

/// Classification of database failures, in one place: Poco 1.11's
/// MySQL exceptions carry code 0, the server's error number is only in the message text.

/// The server error number in a Poco MySQL exception's text ("[mysql_stmt_errno]: 1062" or
/// "[mysql_errno]: 2006"), or 0.
int mysqlErrorNumber(const std::exception& error) noexcept;

/// The connection is gone (server restart, KILL, network): the transaction is lost and must be
/// retried whole on a new session.
bool isConnectionLost(const std::exception& error) noexcept;

/// Deadlock or lock wait timeout (MySQL 1213/1205), SQLite busy/locked: retry the transaction.
bool isLockConflict(const std::exception& error) noexcept;

/// Worth retrying the same work later: connection lost or lock conflict.
inline bool isTransientDbError(const std::exception& error) noexcept {
    return isConnectionLost(error) || isLockConflict(error);
}

} // namespace msgbus::core
