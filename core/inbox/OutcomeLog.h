#pragma once

#include "core/inbox/PreparedMessage.h"

#include <Poco/Logger.h>
#include <Poco/Message.h>

#include <optional>
#include <string>

namespace msgbus::core {

/// The log lines of committed outcomes: a warning for a message that will be retried, an error
/// for one moved to the failed table; handled messages and duplicates are counted, not logged.
/// Each line carries the message's fields (LogFields: consumer, id, name, trace id) for the
/// JSON log format, so a line can be found by message id whatever its text.
///
/// Thread-safe as far as Poco::Logger is.
class OutcomeLog {
public:
    OutcomeLog(Poco::Logger& logger, std::string consumer);

    /// Logs p's outcome, when it is one that is logged.
    void write(const PreparedMessage& p) const;

    /// The line for p's outcome, with its priority and fields; nothing for an outcome that is
    /// not logged.
    std::optional<Poco::Message> lineFor(const PreparedMessage& p) const;

private:
    Poco::Logger& _log;
    std::string _consumer;
};

} // namespace msgbus::core
