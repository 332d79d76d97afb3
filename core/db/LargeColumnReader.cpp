#include "core/db/LargeColumnReader.h"

namespace msgbus::core {

using namespace Poco::Data::Keywords;

namespace {

std::string bytesOf(const Poco::Data::BLOB& blob) {
    return std::string(reinterpret_cast<const char*>(blob.rawContent()), blob.size());
}

} // namespace

LargeColumnReader::LargeColumnReader(Dialect dialect, std::size_t bodyWindow)
    : _dialect(dialect), _bodyWindow(bodyWindow) {}

std::string LargeColumnReader::columns(const std::string& prefix) const {
    const std::string headers = prefix + "headers";
    const std::string body = prefix + "body";
    if (_dialect == Dialect::MySQL)
        return "LEFT(" + headers + ", " + std::to_string(headersWindow) + "), LENGTH(" + headers +
               "), LEFT(" + body + ", " + std::to_string(_bodyWindow) + "), LENGTH(" + body + ")";
    // The windows are for Poco's MySQL extractor only: SQLite values are read whole. The CAST
    // makes length() count the headers' bytes, as LENGTH() does on MySQL, not its characters.
    return headers + ", length(CAST(" + headers + " AS BLOB)), " + body + ", length(" + body + ")";
}

void LargeColumnReader::bind(Poco::Data::Statement& select, Results& results) const {
    results._dialect = _dialect;
    select, into(results._headers), into(results._headerLengths);
    if (_dialect == Dialect::MySQL)
        select, into(results._stringBodies);
    else
        select, into(results._blobBodies);
    select, into(results._bodyLengths);
}

bool LargeColumnReader::Results::take(std::size_t row, std::string& headers, std::string& body) {
    headers = std::move(_headers[row]);
    if (_dialect == Dialect::MySQL)
        body = std::move(_stringBodies[row]);
    else
        body = bytesOf(_blobBodies[row]);
    return wasCut(headers, _headerLengths[row], body, _bodyLengths[row]);
}

void LargeColumnReader::readWhole(Poco::Data::Session& session, const std::string& table,
                                  const std::string& keyColumn, std::int64_t key,
                                  std::string& headers, std::string& body) const {
    Poco::Int64 k = key;
    Poco::Data::BLOB whole;
    session << "SELECT headers, body FROM " + table + " WHERE " + keyColumn + " = ?", use(k),
        into(headers), into(whole), now;
    body = bytesOf(whole);
}

} // namespace msgbus::core
