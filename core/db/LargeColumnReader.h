#pragma once

#include "core/db/Dialect.h"

#include <Poco/Data/LOB.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace msgbus::core {

/// Reads the two large columns of a message table, headers (TEXT) and body (BLOB), through
/// bounded windows, for the outbox and the failed table alike.
///
/// Why: Poco 1.11's MySQL extractor allocates (and zero-fills) each result column's buffer from
/// the column's declared size: 16 MiB for a MEDIUMBLOB, 64 MiB for utf8mb4 MEDIUMTEXT, some
/// 80 MiB and ~300 ms of memset per statement (measured by the benchmark: 77% of the relay's
/// time). Reading LEFT(column, n) declares n instead. The full length comes along, and the rare
/// row that is longer is read again on its own (readWhole()). Stateless apart from its limits.
class LargeColumnReader {
public:
    static constexpr std::size_t headersWindow = 65535; ///< characters

    /// bodyWindow: bodies up to this many bytes come with the statement.
    LargeColumnReader(Dialect dialect, std::size_t bodyWindow);

    /// What one statement read through columns(): per row, the windows and the full lengths.
    class Results {
    public:
        /// Moves row's headers and body out; true when either was cut by its window (then read
        /// the row again with readWhole(), once the statement is gone).
        bool take(std::size_t row, std::string& headers, std::string& body);

    private:
        friend class LargeColumnReader;
        Dialect _dialect = Dialect::MySQL;
        std::vector<std::string> _headers;
        std::vector<Poco::Int64> _headerLengths;
        // LEFT(body, n) comes back as VARBINARY, which Poco's MySQL extractor reads only as a
        // (binary-safe) string; Poco's SQLite string extractor stops at a NUL byte, so SQLite
        // bodies are read as BLOBs.
        std::vector<Poco::Data::BLOB> _blobBodies;
        std::vector<std::string> _stringBodies;
        std::vector<Poco::Int64> _bodyLengths;
    };

    /// The four select-list expressions (headers window, its length, body window, its length),
    /// the columns qualified by prefix ("o.") when given.
    std::string columns(const std::string& prefix = "") const;

    /// Adds the into() bindings of columns() to select, at this place of its column list.
    /// results must outlive the statement's execution.
    void bind(Poco::Data::Statement& select, Results& results) const;

    /// True when headers or body came back shorter than their full lengths (a window cut
    /// them): the row must be read again whole.
    static bool wasCut(const std::string& headers, std::int64_t headersLength,
                       const std::string& body, std::int64_t bodyLength) {
        return static_cast<std::size_t>(headersLength) != headers.size() ||
               static_cast<std::size_t>(bodyLength) != body.size();
    }

    /// Reads one row's headers and body whole. table and keyColumn are trusted identifiers; on
    /// MySQL no other statement of session may have an open result.
    void readWhole(Poco::Data::Session& session, const std::string& table,
                   const std::string& keyColumn, std::int64_t key, std::string& headers,
                   std::string& body) const;

private:
    Dialect _dialect;
    std::size_t _bodyWindow;
};

} // namespace msgbus::core
