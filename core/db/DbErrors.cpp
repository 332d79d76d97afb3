#include "core/db/DbErrors.h"

#include <Poco/Data/DataException.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Exception.h>

#include <cstdlib>
#include <string>

namespace msgbus::core {
namespace {

std::string textOf(const std::exception& error) {
    if (auto* poco = dynamic_cast<const Poco::Exception*>(&error))
        return poco->displayText();
    return error.what();
}

bool contains(const std::string& text, const char* needle) {
    return text.find(needle) != std::string::npos;
}

} // namespace

int mysqlErrorNumber(const std::exception& error) noexcept {
    // The number is parsed from the text (Poco 1.11 never sets code()), so only a database
    // exception's text counts: any other exception may say anything.
    if (!dynamic_cast<const Poco::Data::DataException*>(&error))
        return 0;
    try {
        const std::string text = textOf(error);
        for (const char* marker : {"[mysql_stmt_errno]: ", "[mysql_errno]: "}) {
            auto pos = text.find(marker);
            if (pos != std::string::npos) {
                int value = std::atoi(text.c_str() + pos + std::char_traits<char>::length(marker));
                if (value != 0)
                    return value;
            }
        }
    } catch (...) {
    }
    return 0;
}

bool isConnectionLost(const std::exception& error) noexcept {
    switch (mysqlErrorNumber(error)) {
    case 1053: // server shutdown in progress
    case 1927: // connection was killed
    case 2002: // can't connect through socket
    case 2003: // can't connect to server
    case 2006: // server has gone away
    case 2013: // lost connection during query
    case 2055: // lost connection at reading
        return true;
    default:
        break;
    }
    if (dynamic_cast<const Poco::Data::SessionPoolExhaustedException*>(&error) ||
        dynamic_cast<const Poco::Data::ConnectionFailedException*>(&error) ||
        dynamic_cast<const Poco::Data::NotConnectedException*>(&error) ||
        dynamic_cast<const Poco::Data::SessionUnavailableException*>(&error))
        return true;
    // Only a database error can mean a lost database: a handler's runtime_error("Lost
    // connection to payment API") must stay a handler failure, not pass for an outage.
    if (!dynamic_cast<const Poco::Data::DataException*>(&error))
        return false;
    try {
        const std::string text = textOf(error);
        return contains(text, "Lost connection") || contains(text, "server has gone away") ||
               contains(text, "Can't connect");
    } catch (...) {
        return false;
    }
}

bool isLockConflict(const std::exception& error) noexcept {
    int number = mysqlErrorNumber(error);
    if (number == 1213 || number == 1205)
        return true;
    if (dynamic_cast<const Poco::Data::SQLite::DBLockedException*>(&error) ||
        dynamic_cast<const Poco::Data::SQLite::TableLockedException*>(&error))
        return true;
    if (!dynamic_cast<const Poco::Data::DataException*>(&error))
        return false;
    try {
        const std::string text = textOf(error);
        return contains(text, "database is locked") || contains(text, "database table is locked");
    } catch (...) {
        return false;
    }
}

} // namespace msgbus::core
