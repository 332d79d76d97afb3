// POST /api/outbox/replay: outbox:replay's code and bound window, for the console.
#include "core/config/Settings.h"
#include "core/console/ApiAnswer.h"
#include "core/console/OperationsHandlers.h"
#include "core/db/Database.h"
#include "core/outbox/DeliveryReplay.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"
#include "core/util/Utf8Text.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

namespace msgbus::core::console {
namespace {

/// A replay's size per transaction, as outbox:replay's default --batch-size.
constexpr std::size_t kReplayBatch = 500;

Poco::JSON::Object::Ptr bodyObject(const std::string& body) {
    try {
        auto object = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
        if (object)
            return object;
    } catch (const Poco::Exception&) {
    } catch (const std::exception&) {
    }
    throw ApiError(400, "the request body is not a JSON object ({\"ids\":[...]} or "
                        "{\"filter\":{\"name\":...,\"since\":ms}})");
}

std::int64_t integerIn(const Poco::JSON::Object::Ptr& object, const std::string& key,
                       const std::string& what) {
    try {
        return object->getValue<Poco::Int64>(key);
    } catch (const Poco::Exception&) {
        throw ApiError(400, key + " is not " + what);
    }
}

std::vector<std::string> textsIn(const Poco::Dynamic::Var& value, const std::string& what) {
    std::vector<std::string> out;
    try {
        if (value.isString()) {
            out.push_back(value.convert<std::string>());
        } else {
            auto array = value.extract<Poco::JSON::Array::Ptr>();
            for (std::size_t i = 0; array && i < array->size(); ++i)
                out.push_back(array->get(i).convert<std::string>());
        }
    } catch (const Poco::Exception&) {
        throw ApiError(400, what + " is not a text or a list of texts");
    }
    return out;
}

/// The request as outbox:replay's arguments: ids, or names with since (and until), not both.
RowFilter replayFilter(const Poco::JSON::Object::Ptr& body, std::int64_t nowMs) {
    RowFilter filter;
    const bool byIds = body->has("ids");
    if (byIds == body->has("filter"))
        throw ApiError(400, "give \"ids\" or \"filter\" ({\"name\":...,\"since\":ms}), not both "
                            "and not neither");
    if (byIds) {
        for (const auto& text : textsIn(body->get("ids"), "ids")) {
            if (!Id::isValid(text))
                throw ApiError(400, "'" + lossyUtf8(text) +
                                        "' in ids is not a message id (a UUID, a ULID or 32 hex "
                                        "digits)");
            filter.ids.push_back(Id::parse(text));
        }
        if (filter.ids.empty())
            throw ApiError(400, "ids is empty");
        return filter;
    }
    Poco::JSON::Object::Ptr given;
    try {
        given = body->getObject("filter");
    } catch (const Poco::Exception&) {
    }
    if (!given || !given->has("name") || !given->has("since"))
        throw ApiError(400, "filter needs name and since (and may have until), as "
                            "outbox:replay --name N --since T");
    filter.names = textsIn(given->get("name"), "filter.name");
    filter.since = integerIn(given, "since", "a time in milliseconds since the epoch");
    if (given->has("until") && !given->isNull("until"))
        filter.until = integerIn(given, "until", "a time in milliseconds since the epoch");
    if (filter.until && *filter.until <= *filter.since)
        throw ApiError(400, "filter.until must be later than filter.since");
    if (filter.names.empty() || *filter.since > nowMs)
        throw ApiError(400, "filter.name is empty or filter.since is in the future");
    return filter;
}

/// Records the replay; returns the action id (JSON), or null with the reason in auditError.
std::string recordAction(const OperationsContext& context, const AuditedAction& action,
                         std::string& auditError) {
    auto& log = Poco::Logger::get("msgbus.console");
    log.information("console: %s replayed %s of %s delivered message(s) (filter %s)", action.who,
                    std::to_string(action.done), std::to_string(action.count), action.filterJson);
    if (!context.audit)
        return "null";
    try {
        return std::to_string(context.audit(action));
    } catch (...) {
        auditError =
            "the replay was done but not written to the audit trail: " + currentErrorText();
        log.error("%s", auditError);
        return "null";
    }
}

} // namespace

ApiResponse outboxReplay(const OperationsContext& context, const ApiRequest& request) {
    if (request.readOnly)
        throw ApiError(403, "the console is read-only");
    const auto body = bodyObject(request.body);
    const std::int64_t startedMs = nowMillis();
    const RowFilter given = replayFilter(body, startedMs);
    auto session = context.database.session();
    DeliveredStore store = existingDeliveredStore(context, *session);
    DeliveryReplay replay(context.database, *session, store, given, startedMs);
    const std::int64_t total = replay.total();
    if (body->has("expected_count") && integerIn(body, "expected_count", "a whole number") != total)
        throw ApiError(409,
                       "the window holds " + std::to_string(total) +
                           " deliveries, not the expected_count: look again before replaying",
                       ",\"count\":" + std::to_string(total));
    if (total > context.maxActionRows)
        throw ApiError(400, "the window holds " + std::to_string(total) +
                                " deliveries, more than one console action may replay (" +
                                std::to_string(context.maxActionRows) +
                                "): narrow the filter, or run msgbus outbox:replay");
    const auto result = replay.run(kReplayBatch);

    AuditedAction action{request.user.empty() ? "console" : request.user,
                         "replay",
                         lossyUtf8(request.body),
                         total,
                         result.written,
                         result.matched - result.written};
    std::string auditError;
    const std::string actionId = recordAction(context, action, auditError);
    const auto& window = replay.window();
    return jsonAnswer("{\"replayed\":" + std::to_string(result.written) +
                      ",\"matched\":" + std::to_string(result.matched) +
                      ",\"missing\":" + jsonText(replay.missingIds()) +
                      ",\"window\":{\"until_id\":" + jsonText(window.lastKey) +
                      ",\"since\":" + jsonText(window.since) +
                      ",\"until\":" + jsonText(window.until) + "},\"action_id\":" + actionId +
                      ",\"audit_error\":" + (auditError.empty() ? "null" : jsonText(auditError)) +
                      "}");
}

} // namespace msgbus::core::console
