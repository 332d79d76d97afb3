#pragma once

#include "msgbus/Export.h"

#include "msgbus/Configurable.h"
#include "msgbus/HandlerContext.h"
#include "msgbus/Message.h"

#include <string>
#include <vector>

namespace msgbus {

/// Business logic for consumed messages. For each message a consumer runs its one handler whose
/// messageNames() contains the message's name (two handlers of one consumer taking the same name
/// is a start-up error), inside the inbox transaction (see HandlerContext).
///
/// handle() may be called from several consumer threads at once. It can run twice for one
/// attempt when another message of its batch fails (see HandlerContext::isRerun()). A handler
/// that would rather take the messages of a batch together derives from BatchHandler.
class MSGBUS_API Handler : public Configurable {
public:
    ~Handler() override;

    /// The message names this handler takes. Called once, right after configure(); a throw or
    /// an invalid name refuses the plugin set (at start-up the host does not start; on reload
    /// the running set stays).
    virtual std::vector<std::string> messageNames() const = 0;

    /// Handles one message. Whatever it throws, everything the handler wrote through
    /// context.session() and everything it published is rolled back. What becomes of the
    /// message (the failed table's row keeps the exception's text):
    /// - msgbus::MalformedMessage: the message can never succeed. It moves to the failed table
    ///   at once (error class MalformedMessage), without a retry.
    /// - anything else (any other msgbus::Error, such as an InvalidArgument from
    ///   context.publish() left uncaught, any std::exception, or anything not derived from
    ///   std::exception): a transient failure (error class HandlerFailed). The message is handled
    ///   again after a backoff (retry.*, with attempt() one higher) and moves to the failed table
    ///   when retry.max_retries retries have failed too.
    /// - either one, when the database connection is lost meanwhile: the batch (what of it was
    ///   not committed yet) goes back to the broker and is delivered again, because no message
    ///   can be blamed for an outage.
    ///   A message under which this keeps happening moves to the failed table after
    ///   inbox.max_redeliveries deliveries.
    virtual void handle(const Message& message, HandlerContext& context) = 0;
};

} // namespace msgbus
