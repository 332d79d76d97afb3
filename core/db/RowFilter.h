#pragma once

#include <msgbus/Id.h>

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace msgbus::core {

/// Which rows of a message table an operator command is about: names, message ids, a time
/// window and the last key. Empty parts match everything.
struct RowFilter {
    std::vector<std::string> names;
    std::vector<Id> ids;
    std::optional<std::int64_t> since; ///< time column >= since (ms)
    std::optional<std::int64_t> until; ///< time column < until (ms)
    /// key column <= lastKey: the rows the table held when a command began, so that a command
    /// walking the table while a relay appends to it never reaches rows written after it began
    /// (its own replays among them).
    std::optional<std::int64_t> lastKey;
};

/// What every listing of message rows shows of a row.
struct ListedMessage {
    std::string messageId; ///< canonical text, or the stored hex when it is no valid id
    std::string name;
    std::optional<std::string> partitionKey;
    std::int64_t createdAt = 0;
};

/// A RowFilter as SQL: where() is " WHERE ..." (or "") over the given time and key columns, the
/// message_name and message_id columns; bind() binds its values, in the order where() placed
/// them. Ids are inlined as hex literals of parsed ids (nothing but hex digits reaches the
/// SQL; a BLOB column in SQLite 3.40 has no unhex() to compare a bound text with).
class RowFilterSql {
public:
    RowFilterSql(const RowFilter& filter, const std::string& timeColumn,
                 const std::string& keyColumn);

    const std::string& where() const noexcept { return _where; }
    /// where() followed by " AND extra", or " WHERE extra".
    std::string whereAnd(const std::string& extra) const;
    void bind(Poco::Data::Statement& statement);

    /// "SELECT <key>, hex(message_id), message_name, partition_key, created_at<more> FROM
    /// <table> WHERE ... ORDER BY <order> LIMIT limit", run: the rows for listedMessageAt (columns
    /// 1 to 4) and the caller's own columns (0, then 5 on).
    Poco::Data::RecordSet list(Poco::Data::Session& session, const std::string& key,
                               const std::string& more, const std::string& table,
                               const std::string& order, int limit);

private:
    std::string _where;
    std::vector<Poco::Int64> _bounds; ///< the window's times, then its last key
    std::vector<std::string> _names;
};

/// Columns 1 to 4 of a row of RowFilterSql::list.
ListedMessage listedMessageAt(const Poco::Data::RecordSet& rows, std::size_t row);

/// The rows of RowFilterSql::list as Records (each a ListedMessage with more): columns 1 to 4
/// fill the ListedMessage part, then fill(record, row) reads the caller's own columns.
template <class Record, class Fill>
std::vector<Record> listedRecords(const Poco::Data::RecordSet& rows, Fill fill) {
    std::vector<Record> records;
    records.reserve(rows.rowCount());
    for (std::size_t i = 0; i < rows.rowCount(); ++i) {
        Record record;
        static_cast<ListedMessage&>(record) = listedMessageAt(rows, i);
        fill(record, i);
        records.push_back(std::move(record));
    }
    return records;
}

} // namespace msgbus::core
