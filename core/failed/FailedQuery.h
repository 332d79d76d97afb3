#pragma once

#include "core/db/Dialect.h"

#include <Poco/Data/Session.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace msgbus::core {

/// Which rows of the failed table a console page or action is about. Empty parts match
/// everything.
struct FailedFilter {
    std::string status = "failed"; ///< "failed", "retry" (with "running") or "all"
    std::string group;             ///< a failure_group key, or kUngrouped
    std::string source;            ///< "amqp:<consumer>" or "outbox"
    std::string name;
    std::string errorClass;
    std::optional<std::int64_t> since; ///< the row's time (failed_at, else created_at) >= since
    std::optional<std::int64_t> until; ///< ... < until
    std::string text;                  ///< in the error message, case-insensitive (ASCII)

    /// The group of the rows no failure_group was computed for yet.
    static constexpr const char* kUngrouped = "ungrouped";
};

/// A group of failed rows: one message name, source, error class and normalised error text.
struct FailedGroupRow {
    std::string group; ///< its failure_group, or FailedFilter::kUngrouped
    std::optional<std::string> messageName;
    std::string source;
    std::string errorClass;
    std::string sampleError; ///< the error of its first row
    std::int64_t count = 0;
    std::int64_t firstSeen = 0;
    std::int64_t lastSeen = 0;
};

/// A row of a failed-message list.
struct FailedListRow {
    std::int64_t id = 0;
    std::string queueName;
    std::string source;
    std::optional<std::string> messageIdHex; ///< 32 hex digits as stored
    std::optional<std::string> messageName;
    std::string errorClass;
    std::string error;     ///< whole
    std::int64_t time = 0; ///< failed_at, else created_at
    int attempts = 0;
    std::int64_t availableAt = 0;
};

/// The console's reads of the failed table (what FailedStore's worker-side SQL does not need):
/// the groups page, one page of rows in id order, counts and the ids of a group action. The
/// failure_group indexes make the groups page an index-only scan and a group's first page a
/// read of its first rows, whatever the group's size.
/// On the caller's session; not thread-safe; throws what the database throws.
class FailedQuery {
public:
    FailedQuery(Dialect dialect, std::string table);

    /// Every group of the rows filter selects, by count (descending) then group key; a group's
    /// count is its rows that match. A filter on source, name or class selects whole groups
    /// (each group has one of each); the rows not grouped yet are filtered row by row.
    std::vector<FailedGroupRow> groups(Poco::Data::Session& session, const FailedFilter& filter);

    /// Up to limit rows with ids above after, in id order.
    std::vector<FailedListRow> list(Poco::Data::Session& session, const FailedFilter& filter,
                                    std::optional<std::int64_t> after, int limit);

    /// How many rows filter selects; with upTo, counting stops past upTo (the answer is then
    /// upTo + 1): counting a million index entries takes a tenth of a second, a page must not.
    std::int64_t count(Poco::Data::Session& session, const FailedFilter& filter,
                       std::optional<std::int64_t> upTo = std::nullopt);

    /// The rows of ids that are still there, in id order (their error in whole).
    std::vector<FailedListRow> byIds(Poco::Data::Session& session,
                                     const std::vector<std::int64_t>& ids);

    /// The first limit ids filter selects, in id order.
    std::vector<std::int64_t> ids(Poco::Data::Session& session, const FailedFilter& filter,
                                  int limit);

private:
    struct Where {
        std::string sql; ///< " WHERE ..." or ""
        std::vector<std::string> params;
    };
    Where where(const FailedFilter& filter, bool groupLevel) const;
    /// Count, first and last seen and a sample of each group of the rows w selects.
    std::vector<FailedGroupRow> aggregate(Poco::Data::Session& session, Where w);
    std::vector<FailedListRow> select(Poco::Data::Session& session, Where w, int limit);
    void sampleGroups(Poco::Data::Session& session, std::vector<FailedGroupRow>& groups,
                      const std::vector<std::int64_t>& sampleIds);

    Dialect _dialect;
    std::string _table;
};

} // namespace msgbus::core
