#include "core/db/ConnectionString.h"

#include <Poco/String.h>

#include <sstream>

namespace msgbus::core {

MysqlConnectionString::MysqlConnectionString(const std::string& text) {
    std::istringstream pairs(text);
    std::string pair;
    while (std::getline(pairs, pair, ';')) {
        const auto eq = pair.find('=');
        if (eq == std::string::npos)
            continue;
        _values[Poco::toLower(Poco::trim(pair.substr(0, eq)))] = Poco::trim(pair.substr(eq + 1));
    }
}

std::string MysqlConnectionString::value(const std::string& key) const {
    auto it = _values.find(key);
    return it == _values.end() ? std::string() : it->second;
}

std::string MysqlConnectionString::location() const {
    const std::string host = value("host").empty() ? "localhost" : value("host");
    const std::string port = value("port").empty() ? "3306" : value("port");
    const std::string db = value("db");
    return (db.empty() ? std::string("no database (db=) named") : "database '" + db + "'") +
           " on " + host + ":" + port;
}

} // namespace msgbus::core
