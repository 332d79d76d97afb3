#include "core/db/SchemaInspector.h"

#include <Poco/Types.h>

#include <algorithm>
#include <cctype>
#include <map>

namespace msgbus::core {

using namespace Poco::Data::Keywords;

namespace {

std::string lower(std::string text) {
    for (auto& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

std::string columnList(const std::vector<std::string>& columns) {
    std::string out;
    for (const auto& column : columns)
        out += (out.empty() ? "" : ", ") + column;
    return "(" + out + ")";
}

} // namespace

TableLayout SchemaInspector::read(const std::string& table) {
    return _dialect == Dialect::MySQL ? readMysql(table) : readSqlite(table);
}

TableLayout SchemaInspector::readMysql(const std::string& table) {
    TableLayout layout;
    std::vector<std::string> names, types;
    _session << "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position",
        useRef(table), into(names), into(types), now;
    layout.exists = !names.empty();
    for (std::size_t i = 0; i < names.size(); ++i)
        layout.columns.push_back({names[i], baseSqlType(types[i])});

    std::vector<std::string> indexNames, indexColumns;
    std::vector<Poco::Int64> nonUnique;
    _session << "SELECT index_name, non_unique, column_name FROM information_schema.statistics "
                "WHERE table_schema = DATABASE() AND table_name = ? "
                "ORDER BY index_name, seq_in_index",
        useRef(table), into(indexNames), into(nonUnique), into(indexColumns), now;
    for (std::size_t i = 0; i < indexNames.size(); ++i) {
        if (indexNames[i] == "PRIMARY") {
            layout.primaryKey.push_back(indexColumns[i]);
            continue;
        }
        if (layout.indexes.empty() || layout.indexes.back().name != indexNames[i])
            layout.indexes.push_back({indexNames[i], {}, nonUnique[i] == 0});
        layout.indexes.back().columns.push_back(indexColumns[i]);
    }
    return layout;
}

TableLayout SchemaInspector::readSqlite(const std::string& table) {
    TableLayout layout;
    std::vector<std::string> names, types;
    std::vector<int> keyPositions;
    _session << "SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid", useRef(table),
        into(names), into(types), into(keyPositions), now;
    layout.exists = !names.empty();
    std::map<int, std::string> key; // position in the primary key (from 1) → column
    for (std::size_t i = 0; i < names.size(); ++i) {
        layout.columns.push_back({names[i], baseSqlType(types[i])});
        if (keyPositions[i] > 0)
            key[keyPositions[i]] = names[i];
    }
    for (const auto& [position, column] : key)
        layout.primaryKey.push_back(column);

    std::vector<std::string> indexNames, origins;
    std::vector<int> unique;
    _session << "SELECT name, \"unique\", origin FROM pragma_index_list(?)", useRef(table),
        into(indexNames), into(unique), into(origins), now;
    for (std::size_t i = 0; i < indexNames.size(); ++i) {
        // The primary key's own index (a WITHOUT ROWID table's) is the key, read above.
        if (origins[i] == "pk")
            continue;
        IndexSpec index{indexNames[i], {}, unique[i] != 0};
        _session << "SELECT name FROM pragma_index_info(?) ORDER BY seqno", useRef(indexNames[i]),
            into(index.columns), now;
        layout.indexes.push_back(std::move(index));
    }
    return layout;
}

std::vector<std::string> layoutDifferences(const TableSpec& expected, const TableLayout& layout,
                                           Dialect dialect) {
    std::vector<std::string> differences;
    std::vector<std::string> missing;
    for (const auto& column : expected.columns) {
        auto found = std::find_if(
            layout.columns.begin(), layout.columns.end(),
            [&](const TableLayout::Column& c) { return lower(c.name) == lower(column.name); });
        if (found == layout.columns.end())
            missing.push_back(column.name);
        else if (found->baseType != column.baseType(dialect))
            differences.push_back("column " + column.name + " is " + found->baseType +
                                  ", msgbus setup makes it " + column.baseType(dialect));
    }
    if (!missing.empty())
        differences.insert(differences.begin(), "column" +
                                                    std::string(missing.size() > 1 ? "s " : " ") +
                                                    columnList(missing) + " missing");
    if (!differences.empty())
        // CREATE TABLE IF NOT EXISTS leaves an existing table as it is.
        differences.back() += "; msgbus setup does not change an existing table: migrate it to "
                              "the DDL of `msgbus setup --dump-sql`";

    auto sameColumns = [](const std::vector<std::string>& a, const std::vector<std::string>& b) {
        return std::equal(
            a.begin(), a.end(), b.begin(), b.end(),
            [](const std::string& x, const std::string& y) { return lower(x) == lower(y); });
    };
    if (!sameColumns(layout.primaryKey, expected.primaryKey))
        differences.push_back(
            (layout.primaryKey.empty() ? std::string("no primary key")
                                       : "primary key is " + columnList(layout.primaryKey)) +
            ", msgbus setup makes it " + columnList(expected.primaryKey) + ": migrate the table");

    for (const auto& index : expected.indexes) {
        bool found =
            std::any_of(layout.indexes.begin(), layout.indexes.end(), [&](const IndexSpec& actual) {
                return sameColumns(actual.columns, index.columns) &&
                       (actual.unique || !index.unique);
            });
        if (!found)
            differences.push_back(std::string("no ") + (index.unique ? "unique " : "") +
                                  "index on " + columnList(index.columns) + " (for " +
                                  index.purpose + "): create it with " + "CREATE " +
                                  (index.unique ? "UNIQUE " : "") + "INDEX " + index.name + " ON " +
                                  expected.name + " " + columnList(index.columns));
    }
    return differences;
}

} // namespace msgbus::core
