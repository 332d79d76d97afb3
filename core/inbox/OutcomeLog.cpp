#include "core/inbox/OutcomeLog.h"

#include "core/tracing/TraceContext.h"
#include "core/util/Logging.h"

namespace msgbus::core {

OutcomeLog::OutcomeLog(Poco::Logger& logger, std::string consumer)
    : _log(logger), _consumer(std::move(consumer)) {}

void OutcomeLog::write(const PreparedMessage& p) const {
    if (p.result != ProcessResult::Retry && p.result != ProcessResult::Failed)
        return;
    const auto priority =
        p.result == ProcessResult::Retry ? Poco::Message::PRIO_WARNING : Poco::Message::PRIO_ERROR;
    // Building the line costs more than asking whether anyone reads it.
    if (!_log.is(priority))
        return;
    if (auto line = lineFor(p))
        _log.log(*line);
}

std::optional<Poco::Message> OutcomeLog::lineFor(const PreparedMessage& p) const {
    const auto id = p.id();
    const auto name = p.name();
    const std::string about = "consumer " + _consumer + ": message " +
                              (id ? id->toString() : std::string("<no id>")) + " (" +
                              name.value_or("<no name>") + ")";
    std::optional<Poco::Message> line;
    if (p.result == ProcessResult::Retry)
        line.emplace(_log.name(),
                     about + " attempt " + std::to_string(p.item->attempt) +
                         " failed, will be retried: " + p.error,
                     Poco::Message::PRIO_WARNING);
    else if (p.result == ProcessResult::Failed)
        line.emplace(_log.name(), about + " moved to the failed table: " + p.error,
                     Poco::Message::PRIO_ERROR);
    else
        return line;
    line->set(LogFields::consumer, _consumer);
    if (id)
        line->set(LogFields::messageId, id->toString());
    if (name)
        line->set(LogFields::messageName, *name);
    if (p.message)
        if (auto trace = traceIdOf(*p.message); !trace.empty())
            line->set(LogFields::traceId, trace);
    return line;
}

} // namespace msgbus::core
