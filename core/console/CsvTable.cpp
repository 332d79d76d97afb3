#include "core/console/CsvTable.h"

#include "core/util/Utf8Text.h"

namespace msgbus::core::console {

CsvTable::CsvTable(const std::vector<std::string>& columns) {
    for (const auto& c : columns)
        cell(c);
}

void CsvTable::cell(const std::string& raw) {
    if (!_first)
        _out += ',';
    _first = false;
    const std::string value = lossyUtf8(raw);
    if (value.find_first_of(",\"\r\n") == std::string::npos) {
        _out += value;
        return;
    }
    _out += '"';
    for (char c : value) {
        if (c == '"')
            _out += '"';
        _out += c;
    }
    _out += '"';
}

CsvTable& CsvTable::row() {
    _out += "\r\n";
    _first = true;
    return *this;
}

CsvTable& CsvTable::text(const std::string& value) {
    const bool formula = !value.empty() && std::string("=+-@").find(value[0]) != std::string::npos;
    cell(formula ? "'" + value : value);
    return *this;
}

CsvTable& CsvTable::number(long long value) {
    cell(std::to_string(value));
    return *this;
}

ApiResponse CsvTable::response(const std::string& file) const {
    ApiResponse response;
    response.contentType = "text/csv; charset=utf-8";
    response.body = _out + "\r\n";
    response.headers["Content-Disposition"] = "attachment; filename=\"" + file + ".csv\"";
    return response;
}

ApiResponse jsonDownload(std::string body, const std::string& file) {
    ApiResponse response;
    response.body = std::move(body);
    response.headers["Content-Disposition"] = "attachment; filename=\"" + file + ".json\"";
    return response;
}

} // namespace msgbus::core::console
