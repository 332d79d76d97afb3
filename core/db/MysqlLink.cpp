#include "core/db/MysqlLink.h"

#include <Poco/Data/MySQL/MySQLException.h>

#include <mysql.h>

#include <algorithm>

namespace msgbus::core {
namespace {

MYSQL* handleOf(Poco::Data::Session& session) noexcept {
    try {
        return Poco::AnyCast<MYSQL*>(session.getProperty("handle"));
    } catch (...) {
        return nullptr;
    }
}

} // namespace

void MysqlLink::query(Poco::Data::Session& session, const std::string& sql,
                      const std::string& what) {
    MYSQL* handle = handleOf(session);
    if (!handle)
        throw Poco::Data::MySQL::TransactionException(what + ": the session has no connection");
    if (!(handle->client_flag & CLIENT_MULTI_STATEMENTS) && sql.find(';') != std::string::npos) {
        // A connection not opened by Database (a caller's own session): one at a time.
        std::size_t from = 0;
        for (std::size_t end = 0; from < sql.size(); from = end + 1) {
            end = std::min(sql.find(';', from), sql.size());
            const std::string one = sql.substr(from, end - from);
            if (one.find_first_not_of(' ') != std::string::npos)
                query(session, one, what);
        }
        return;
    }
    if (mysql_real_query(handle, sql.data(), static_cast<unsigned long>(sql.size())) != 0)
        throw Poco::Data::MySQL::TransactionException(what + " failed", handle);
    // The results of the later statements are already on their way: reading them costs no
    // round trip, and leaving them unread would break the connection's next command.
    for (int more = 0; (more = mysql_next_result(handle)) != -1;)
        if (more > 0)
            throw Poco::Data::MySQL::TransactionException(what + " failed", handle);
}

void MysqlLink::allowMultiStatements(Poco::Data::Session& session) {
    MYSQL* handle = handleOf(session);
    if (!handle || mysql_set_server_option(handle, MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0)
        throw Poco::Data::MySQL::ConnectionException("enabling multi-statement queries failed",
                                                     handle);
    // Connector/C keeps no note of the option: the connection's flags carry it for query().
    handle->client_flag |= CLIENT_MULTI_STATEMENTS;
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

} // namespace msgbus::core
