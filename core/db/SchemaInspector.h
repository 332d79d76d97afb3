#pragma once

#include "core/db/Dialect.h"
#include "core/db/Schema.h"

#include <Poco/Data/Session.h>

#include <string>
#include <vector>

namespace msgbus::core {

/// What a database holds of one table, read from its catalogue.
struct TableLayout {
    struct Column {
        std::string name;
        std::string baseType; ///< upper case, without length: "BIGINT", "BINARY", "TEXT"
    };
    bool exists = false;
    std::vector<Column> columns;
    std::vector<std::string> primaryKey;
    std::vector<IndexSpec> indexes; ///< every index but the primary key
};

/// Reads table layouts without changing anything: information_schema on MariaDB/MySQL (the
/// current database), pragma_table_info / pragma_index_list on SQLite.
/// Uses the caller's session, so only on the caller's thread. Throws what the database throws.
class SchemaInspector {
public:
    SchemaInspector(Poco::Data::Session& session, Dialect dialect)
        : _session(session), _dialect(dialect) {}

    TableLayout read(const std::string& table);

private:
    TableLayout readMysql(const std::string& table);
    TableLayout readSqlite(const std::string& table);

    Poco::Data::Session& _session;
    Dialect _dialect;
};

/// How layout differs from what `msgbus setup` creates for expected, each difference said with
/// what to do about it; empty when the table matches (columns by name and type, the primary key,
/// each index by its columns and uniqueness; extra columns and indexes are not judged).
/// Precondition: layout.exists.
std::vector<std::string> layoutDifferences(const TableSpec& expected, const TableLayout& layout,
                                           Dialect dialect);

} // namespace msgbus::core
