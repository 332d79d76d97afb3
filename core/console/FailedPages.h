#pragma once

#include "core/console/ApiExchange.h"
#include "core/console/ConsoleContext.h"

#include <atomic>

namespace msgbus::core::console {

/// The failed-message pages of the console API:
///   GET /api/failed/groups        groups by count, a page of them (or every one: format=csv|json)
///   GET /api/failed/messages      rows in id order, keyset paging with after
///   GET /api/failed/messages/<id> one row: headers (masked), body view, lease, trace link
/// Thread-safe: each request borrows its own session.
class FailedPages {
public:
    /// The most rows a format=csv|json export of a list holds.
    static constexpr int kExportRows = 100000;
    /// A list's total is exact up to this many rows; past it the answer says
    /// "total": kExactTotal, "total_exact": false (the groups page has every group's exact
    /// count, and no action may take this many rows anyway).
    static constexpr std::int64_t kExactTotal = 100000;

    explicit FailedPages(const ConsoleContext& context) : _context(context) {}

    ApiResponse groups(const ApiRequest& request);
    ApiResponse messages(const ApiRequest& request);
    ApiResponse message(const ApiRequest& request);

private:
    /// Groups the rows stored without a group (by a host started before `msgbus setup` added
    /// the column), a bounded amount per request. Best effort: a console whose database user
    /// may not write leaves them in the "ungrouped" group (and says so once in its log).
    void groupStragglers();

    const ConsoleContext& _context;
    std::atomic<bool> _stragglersFailed{false};
};

} // namespace msgbus::core::console
