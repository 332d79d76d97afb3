#pragma once

#include "core/inbox/InboxItem.h"

#include <msgbus/Error.h>

namespace msgbus::core {

/// MessageProcessor::processBatch() committed nothing because the database failed (connection
/// lost, lock conflict), and one message is the likely cause: its handler's error was that
/// failure (a statement slower than db.io_timeout_ms). The caller gives the batch back and
/// counts the redelivery against that message only. No message is named (suspect() null) when
/// the connection was lost under a batch handler's call with several messages: none is counted
/// then, and those messages run alone when they come back (LoneMessages).
class BatchAborted : public Error {
public:
    BatchAborted(const std::string& what, const InboxItem* suspect)
        : Error(what), _suspect(suspect) {}

    /// The item of the batch whose handler failed with the lost connection, or null; it points
    /// into the caller's items.
    const InboxItem* suspect() const noexcept { return _suspect; }

private:
    const InboxItem* _suspect;
};

} // namespace msgbus::core
