#include "core/console/ListAnswer.h"

#include "core/console/ApiAnswer.h"
#include "core/util/Utf8Text.h"

namespace msgbus::core::console {
namespace {

std::string csvField(std::string text) {
    if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@'))
        // Only when it is not a plain number: a negative count stays a number.
        if (text.find_first_not_of("-0123456789.") != std::string::npos)
            text.insert(0, "'");
    if (text.find_first_of(",\"\r\n") == std::string::npos)
        return text;
    std::string out = "\"";
    for (char c : text)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

} // namespace

ListFormat listFormatOf(const ApiRequest& request) {
    auto it = request.query.find("format");
    if (it == request.query.end() || it->second.empty())
        return ListFormat::Page;
    if (it->second == "json")
        return ListFormat::Json;
    if (it->second == "csv")
        return ListFormat::Csv;
    throw ApiError(400,
                   "query parameter format='" + lossyUtf8(it->second) + "': expected json or csv");
}

Cell Cell::of(const std::string& text) {
    return {jsonText(text), text};
}

Cell Cell::of(const std::optional<std::string>& text) {
    return text ? of(*text) : Cell{"null", ""};
}

Cell Cell::of(std::int64_t number) {
    return {std::to_string(number), std::to_string(number)};
}

Cell Cell::of(const std::optional<std::int64_t>& number) {
    return number ? of(*number) : Cell{"null", ""};
}

Cell Cell::of(bool flag) {
    return {flag ? "true" : "false", flag ? "true" : "false"};
}

Cell Cell::of(const std::vector<std::string>& texts) {
    std::string joined;
    for (const auto& text : texts)
        joined += (joined.empty() ? "" : "; ") + text;
    return {jsonText(texts), joined};
}

ListAnswer::ListAnswer(std::string listKey, std::vector<std::string> columns, std::string fileStem)
    : _listKey(std::move(listKey)), _columns(std::move(columns)), _fileStem(std::move(fileStem)) {}

void ListAnswer::add(std::vector<Cell> cells) {
    cells.resize(_columns.size(), Cell{"null", ""});
    _rows.push_back(std::move(cells));
}

void ListAnswer::member(const std::string& key, const std::string& json) {
    _members += "," + jsonText(key) + ":" + json;
}

ApiResponse ListAnswer::answer(ListFormat format) const {
    ApiResponse response;
    if (format == ListFormat::Csv) {
        response.contentType = "text/csv; charset=utf-8";
        response.body = csv();
    } else {
        response.body = json();
    }
    if (format != ListFormat::Page)
        response.headers["Content-Disposition"] = "attachment; filename=\"" + _fileStem +
                                                  (format == ListFormat::Csv ? ".csv" : ".json") +
                                                  "\"";
    return response;
}

std::string ListAnswer::json() const {
    std::string out = "{" + jsonText(_listKey) + ":[";
    for (std::size_t r = 0; r < _rows.size(); ++r) {
        out += r ? ",{" : "{";
        for (std::size_t c = 0; c < _columns.size(); ++c)
            out += (c ? "," : "") + jsonText(_columns[c]) + ":" + _rows[r][c].json;
        out += "}";
    }
    return out + "]" + _members + "}";
}

std::string ListAnswer::csv() const {
    std::string out;
    for (std::size_t c = 0; c < _columns.size(); ++c)
        out += (c ? "," : "") + csvField(_columns[c]);
    out += "\r\n";
    for (const auto& row : _rows) {
        for (std::size_t c = 0; c < row.size(); ++c)
            out += (c ? "," : "") + csvField(lossyUtf8(row[c].text));
        out += "\r\n";
    }
    return out;
}

} // namespace msgbus::core::console
