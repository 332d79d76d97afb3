#pragma once

#include "core/inbox/PreparedMessage.h"

#include <span>
#include <vector>

namespace msgbus::core {

/// One call of a handler within a batch: a Handler's one message, or the messages a
/// BatchHandler receives together.
struct HandlerCall {
    std::vector<PreparedMessage*> messages;
    /// Through BatchHandler::handleBatch() (with one message or more), else Handler::handle().
    bool batch = false;
};

/// Which handler calls a batch's messages make, in what order.
///
/// A Handler's message is a call of its own, where it stands. A BatchHandler's messages join
/// one call, at the place of the first of them, when they share the attempt and whether their
/// handler ran before in this attempt (so that the call's context tells each of them the truth)
/// and none has been marked to run alone. A message never moves ahead of an earlier message
/// with the same partition key that another call handles: it starts a new call of its handler
/// instead, so the order per key is the order of arrival. Messages without a key are not
/// ordered against other calls, as across the batches of several consumers.
///
/// Pure.
class HandlerCalls {
public:
    /// The calls for fresh (each with a message and a handler), in the order they run; each
    /// message in exactly one call, the messages of a call in their order in fresh.
    static std::vector<HandlerCall> plan(std::span<PreparedMessage* const> fresh);
};

} // namespace msgbus::core
