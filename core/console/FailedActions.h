#pragma once

#include "core/console/ApiExchange.h"
#include "core/console/ConsoleContext.h"
#include "core/failed/FailedQuery.h"
#include "core/failed/GuardedChange.h"

#include <Poco/Data/Session.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace msgbus::core::console {

/// POST /api/failed/actions: retry or remove failed rows, named by id or as a whole group, or
/// skip heads of parked keys by id (the row stays failed, the messages parked behind it run
/// next), and GET /api/actions: the audit trail.
///
/// Every row goes through the guards of `failed:retry` and `failed:remove` (GuardedChange, in
/// the UPDATE's or DELETE's own WHERE): a retry never runs a cut body, a row a live host holds
/// or one older than dedup.retention (the console has no --force); a removal never drops a row
/// a live host holds. A refused row is listed with its reason; the others are done. A group
/// action names the count the operator confirmed (expected_count): a group that grew or shrank
/// meanwhile is refused (409) with its current count, as is one above console.max_action_rows
/// (400). Each action is written to the audit table before it starts and completed after.
/// Thread-safe (each request its own session); throws ApiError for bad input.
class FailedActions {
public:
    explicit FailedActions(const ConsoleContext& context) : _context(context) {}

    ApiResponse act(const ApiRequest& request);
    ApiResponse list(const ApiRequest& request);

    /// The console's text for why a row was left.
    static std::string reasonText(const RowRefusal& refusal, std::chrono::milliseconds retention);

private:
    struct Refused {
        std::int64_t id;
        std::string reason;
    };
    struct Plan {
        std::string action;
        std::vector<std::int64_t> ids;
        std::optional<std::string> toConsumer;
    };

    Plan plan(Poco::Data::Session& session, const Poco::JSON::Object::Ptr& body);
    std::vector<std::int64_t> groupIds(Poco::Data::Session& session,
                                       const Poco::JSON::Object::Ptr& body);
    std::size_t retry(Poco::Data::Session& session, const Plan& plan,
                      const std::vector<FailedListRow>& rows, std::vector<Refused>& refused);
    std::size_t remove(Poco::Data::Session& session, const std::vector<FailedListRow>& rows,
                       std::vector<Refused>& refused);
    /// Skips heads of parked keys (HeadSkip, as `failed:skip`), each in its own transaction.
    std::size_t skip(Poco::Data::Session& session, const std::vector<FailedListRow>& rows,
                     std::vector<Refused>& refused);
    /// Why row may not go to consumer to (it has no handler for the name, or it is the head of
    /// a parked key), or "".
    std::string redirectRefusal(Poco::Data::Session& session, const FailedListRow& row,
                                const std::string& to,
                                const std::map<std::string, std::set<std::string>>& names) const;

    const ConsoleContext& _context;
};

} // namespace msgbus::core::console
