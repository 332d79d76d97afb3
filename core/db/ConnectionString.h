#pragma once

#include <map>
#include <string>

namespace msgbus::core {

/// The parts of a Poco MySQL connection string ("host=...;port=...;db=...;user=...;
/// password=..."), read as Poco reads it (pairs split at ';' and '=', blanks trimmed), so that
/// a database can be named without showing the string, which holds the password.
/// Value type.
class MysqlConnectionString {
public:
    explicit MysqlConnectionString(const std::string& text);

    /// The value of key (lower case), or "" when absent.
    std::string value(const std::string& key) const;

    /// "database 'bus' on 127.0.0.1:3306": host, port and database, never user or password.
    /// Poco's defaults fill what is not given (localhost, 3306).
    std::string location() const;

private:
    std::map<std::string, std::string> _values;
};

} // namespace msgbus::core
