#include "core/db/MysqlLink.h"

#include <Poco/Data/DataException.h>
#include <Poco/Data/MySQL/MySQLException.h>

#include <mysql.h>

#include <algorithm>
#include <exception>
#include <memory>
#include <string>

namespace msgbus::core {
namespace {

MYSQL* handleOf(Poco::Data::Session& session) noexcept {
    try {
        // A closed Poco session still hands out its freed handle (no round trip here).
        if (!session.isConnected())
            return nullptr;
        return Poco::AnyCast<MYSQL*>(session.getProperty("handle"));
    } catch (...) {
        return nullptr;
    }
}

/// How far the statements of one text went: how many succeeded, and the failure of the one
/// after them (none when all succeeded).
struct Outcome {
    std::size_t done = 0;
    std::exception_ptr error;
};

Outcome send(MYSQL* handle, const std::string& sql, const std::string& what) {
    Outcome outcome;
    if (!(handle->client_flag & CLIENT_MULTI_STATEMENTS) && sql.find(';') != std::string::npos) {
        // A connection not opened by Database (a caller's own session): one at a time.
        for (std::size_t from = 0, end = 0; from < sql.size(); from = end + 1) {
            end = std::min(sql.find(';', from), sql.size());
            const std::string one = sql.substr(from, end - from);
            if (one.find_first_not_of(' ') == std::string::npos)
                continue;
            Outcome single = send(handle, one, what);
            if (single.error) {
                outcome.error = single.error;
                return outcome;
            }
            ++outcome.done;
        }
        return outcome;
    }
    if (mysql_real_query(handle, sql.data(), static_cast<unsigned long>(sql.size())) != 0) {
        outcome.error = std::make_exception_ptr(
            Poco::Data::MySQL::TransactionException(what + " failed", handle));
        return outcome;
    }
    // The results of the later statements are already on their way: reading them costs no
    // round trip, and leaving them unread would break the connection's next command.
    outcome.done = 1;
    for (int more = 0; (more = mysql_next_result(handle)) != -1; ++outcome.done)
        if (more > 0) {
            outcome.error = std::make_exception_ptr(
                Poco::Data::MySQL::TransactionException(what + " failed", handle));
            return outcome;
        }
    return outcome;
}

MYSQL* connectedHandle(Poco::Data::Session& session, const std::string& what) {
    MYSQL* handle = handleOf(session);
    if (!handle)
        // Said as the lost connection it is, so that the callers treat it as transient.
        throw Poco::Data::SessionUnavailableException(
            what + " failed: the session has no connection (closed)");
    return handle;
}

/// Sends sql as one text query on session's connection; throws when the server refuses it.
MYSQL* sendQuery(Poco::Data::Session& session, const std::string& sql, const std::string& what) {
    MYSQL* handle = connectedHandle(session, what);
    if (mysql_real_query(handle, sql.data(), static_cast<unsigned long>(sql.size())) != 0)
        throw Poco::Data::MySQL::TransactionException(what + " failed", handle);
    return handle;
}

} // namespace

void MysqlLink::query(Poco::Data::Session& session, const std::string& sql,
                      const std::string& what) {
    const Outcome outcome = send(connectedHandle(session, what), sql, what);
    if (outcome.error)
        std::rethrow_exception(outcome.error);
}

std::uint64_t MysqlLink::execute(Poco::Data::Session& session, const std::string& sql,
                                 const std::string& what) {
    MYSQL* handle = connectedHandle(session, what);
    if (!(handle->client_flag & CLIENT_MULTI_STATEMENTS) && sql.find(';') != std::string::npos)
        throw Poco::Data::MySQL::TransactionException(
            what + ": several statements on a connection that does not allow them", handle);
    sendQuery(session, sql, what);
    // Each result's count is read as it comes (not through send()): mysql_next_result() resets
    // the count even when it finds no further result.
    my_ulonglong changed = mysql_affected_rows(handle);
    for (int more = 0; (more = mysql_next_result(handle)) != -1;) {
        if (more > 0) {
            // The statements after the failing one did not run; nothing is left to read.
            throw Poco::Data::MySQL::TransactionException(what + " failed", handle);
        }
        if (MYSQL_RES* result = mysql_store_result(handle))
            mysql_free_result(result);
        changed = mysql_affected_rows(handle);
    }
    return changed == static_cast<my_ulonglong>(-1) ? 0 : static_cast<std::uint64_t>(changed);
}

std::optional<std::int64_t> MysqlLink::selectInteger(Poco::Data::Session& session,
                                                     const std::string& sql,
                                                     const std::string& what) {
    const auto rows = selectRows(session, sql, what);
    if (rows.empty() || rows.front().empty() || !rows.front().front())
        return std::nullopt;
    return std::stoll(*rows.front().front());
}

std::vector<MysqlLink::TextRow> MysqlLink::selectRows(Poco::Data::Session& session,
                                                      const std::string& sql,
                                                      const std::string& what) {
    MYSQL* handle = connectedHandle(session, what);
    if (!(handle->client_flag & CLIENT_MULTI_STATEMENTS) && sql.find(';') != std::string::npos)
        throw Poco::Data::MySQL::TransactionException(
            what + ": several statements on a connection that does not allow them", handle);
    sendQuery(session, sql, what);
    std::vector<TextRow> rows;
    std::exception_ptr failure;
    // Every result is read, also after a failure: one left unread breaks the connection's
    // next command. The statements in front of the SELECT (a transaction's begin) have none.
    for (int more = 0; more == 0; more = mysql_next_result(handle)) {
        const std::unique_ptr<MYSQL_RES, void (*)(MYSQL_RES*)> result(mysql_store_result(handle),
                                                                      mysql_free_result);
        if (!result) {
            // A result that could not be read (a lost connection): its error as it is.
            if (mysql_field_count(handle) != 0 && !failure)
                failure = std::make_exception_ptr(
                    Poco::Data::MySQL::TransactionException(what + " failed", handle));
            continue;
        }
        const unsigned columns = mysql_num_fields(result.get());
        while (MYSQL_ROW row = mysql_fetch_row(result.get())) {
            const unsigned long* lengths = mysql_fetch_lengths(result.get());
            TextRow& out = rows.emplace_back(columns);
            for (unsigned c = 0; c < columns; ++c)
                if (row[c])
                    out[c].emplace(row[c], lengths[c]);
        }
    }
    if (mysql_errno(handle) != 0 && !failure)
        failure = std::make_exception_ptr(
            Poco::Data::MySQL::TransactionException(what + " failed", handle));
    if (failure)
        std::rethrow_exception(failure);
    return rows;
}

std::optional<std::string> MysqlLink::endTransaction(Poco::Data::Session& session,
                                                     const std::string& sql,
                                                     const std::string& what, std::size_t before) {
    const Outcome outcome = send(connectedHandle(session, what), sql, what);
    if (!outcome.error)
        return std::nullopt;
    if (outcome.done <= before)
        std::rethrow_exception(outcome.error);
    abandon(session);
    try {
        std::rethrow_exception(outcome.error);
    } catch (const Poco::Exception& e) {
        return e.displayText();
    } catch (const std::exception& e) {
        return std::string(e.what());
    }
}

void MysqlLink::allowMultiStatements(Poco::Data::Session& session) {
    MYSQL* handle = handleOf(session);
    if (!handle || mysql_set_server_option(handle, MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0)
        throw Poco::Data::MySQL::ConnectionException("enabling multi-statement queries failed",
                                                     handle);
    // Connector/C keeps no note of the option: the connection's flags carry it for query().
    handle->client_flag |= CLIENT_MULTI_STATEMENTS;
}

bool MysqlLink::multiStatements(Poco::Data::Session& session) noexcept {
    MYSQL* handle = handleOf(session);
    return handle && (handle->client_flag & CLIENT_MULTI_STATEMENTS) != 0;
}

bool MysqlLink::inTransaction(Poco::Data::Session& session) noexcept {
    MYSQL* handle = handleOf(session);
    return handle && (handle->server_status & SERVER_STATUS_IN_TRANS) != 0;
}

bool MysqlLink::autocommit(Poco::Data::Session& session) noexcept {
    MYSQL* handle = handleOf(session);
    return handle && (handle->server_status & SERVER_STATUS_AUTOCOMMIT) != 0;
}

bool MysqlLink::closed(Poco::Data::Session& session) noexcept {
    MYSQL* handle = handleOf(session);
    return !handle || !handle->net.pvio;
}

bool MysqlLink::ping(Poco::Data::Session& session) noexcept {
    MYSQL* handle = handleOf(session);
    return handle && handle->net.pvio && mysql_ping(handle) == 0;
}

void MysqlLink::abandon(Poco::Data::Session& session) noexcept {
    MYSQL* handle = handleOf(session);
    if (!handle || !handle->net.pvio)
        return;
    // mariadb_cancel shuts the socket down; the ping then fails at once, and Connector/C
    // closes the connection's I/O as after any lost connection (mysql_close cannot be used:
    // the Poco session still holds the handle). No reconnect: Poco leaves it off.
    mariadb_cancel(handle);
    mysql_ping(handle);
}

} // namespace msgbus::core
