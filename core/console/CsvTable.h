#pragma once

#include "core/console/ApiExchange.h"

#include <string>
#include <vector>

namespace msgbus::core::console {

/// A CSV export (RFC 4180): a header line, then one line per row. A text cell that a
/// spreadsheet would run as a formula (starting with =, +, -, @) gets a leading ' : error texts
/// come from the network.
class CsvTable {
public:
    explicit CsvTable(const std::vector<std::string>& columns);

    /// Starts a row; then text() and number() add its cells in column order.
    CsvTable& row();
    CsvTable& text(const std::string& value);
    CsvTable& number(long long value);

    /// The answer: text/csv, a download named file.
    ApiResponse response(const std::string& file) const;

private:
    void cell(const std::string& raw);
    std::string _out;
    bool _first = true;
};

/// A full-list JSON download (format=json): body as a file named file.
ApiResponse jsonDownload(std::string body, const std::string& file);

} // namespace msgbus::core::console
