#pragma once

#include "core/console/ApiExchange.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace msgbus::core::console {

/// How a list endpoint answers: a page (the default), or the whole list as a download
/// (format=json: the same shape; format=csv: one line per row). ApiError(400) for another
/// format.
enum class ListFormat { Page, Json, Csv };
ListFormat listFormatOf(const ApiRequest& request);

/// One value of a listed row, as JSON (for the API) and as plain text (for CSV).
struct Cell {
    std::string json;
    std::string text;

    static Cell of(const std::string& text);
    static Cell of(const std::optional<std::string>& text);
    static Cell of(std::int64_t number);
    static Cell of(const std::optional<std::int64_t>& number);
    static Cell of(bool flag);
    static Cell of(const std::vector<std::string>& texts); ///< CSV: joined with "; "
};

/// The answer of a list endpoint: {"<list>":[{<column>:<cell>,...},...],<members>}.
/// CSV: a header line of the column names, then one line per row (RFC 4180 quoting; a cell
/// that a spreadsheet would run as a formula, starting with = + - @, gets a leading ').
class ListAnswer {
public:
    /// fileStem names the download ("outbox-delivered" -> outbox-delivered.csv).
    ListAnswer(std::string listKey, std::vector<std::string> columns, std::string fileStem);

    /// cells in the order of the columns.
    void add(std::vector<Cell> cells);
    /// One more member of the object after the list (JSON only), value as JSON text.
    void member(const std::string& key, const std::string& json);

    std::size_t size() const noexcept { return _rows.size(); }
    ApiResponse answer(ListFormat format) const;

private:
    std::string json() const;
    std::string csv() const;

    std::string _listKey;
    std::vector<std::string> _columns;
    std::string _fileStem;
    std::vector<std::vector<Cell>> _rows;
    std::string _members;
};

} // namespace msgbus::core::console
