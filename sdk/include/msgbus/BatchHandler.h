#pragma once

#include "msgbus/Export.h"

#include "msgbus/Handler.h"
#include "msgbus/HandlerContext.h"
#include "msgbus/Message.h"

#include <span>

namespace msgbus {

/// The context of one BatchHandler::handleBatch() call: a HandlerContext (session(), logger(),
/// attempt(), consumerName(), isRerun()), plus a publish() that names which of the batch's
/// messages caused the new one.
///
/// attempt() and isRerun() hold for every message of the call: the host gives one call only
/// messages of the same attempt whose handler ran before (or did not) alike.
class MSGBUS_API BatchHandlerContext : public HandlerContext {
public:
    ~BatchHandlerContext() override;

    /// Writes message to the outbox in the inbox transaction, with no single cause: it starts a
    /// trace and conversation of its own (no traceparent, correlation-id or causation-id is
    /// added). For something the batch as a whole produced, such as a summary.
    using HandlerContext::publish;

    /// Writes message to the outbox in the inbox transaction as an effect of cause, one of the
    /// messages of this call: it continues cause's trace and correlation, as a Handler's
    /// publish() does for the message it handles (headers the handler set itself are kept).
    /// cause must be one of the call's messages (that element of the span, or a copy with its
    /// id), else InvalidArgument. Otherwise like HandlerContext::publish().
    virtual void publish(Message message, const Message& cause) = 0;
};

/// A Handler that receives the messages of a batch together, so that it can write them with a
/// few multi-row statements instead of a round trip each. Registered like any Handler
/// (MSGBUS_HANDLERS), its names claimed the same way.
///
/// The host gathers the messages of a consumer's batch that this handler takes into one
/// handleBatch() call, in the order they arrived. What never reaches it: a duplicate (a message
/// the consumer already handled, or a second copy in the same batch), a message that could not
/// be decoded or whose name no handler takes, and one past inbox.max_redeliveries. Messages of
/// other names in the same batch run in the same transaction, before or after the call; a
/// message is never moved ahead of an earlier message with the same partition key that another
/// handler takes, so a call may cover fewer messages than the batch holds.
///
/// When handleBatch() throws, everything it wrote and published is rolled back and the host
/// runs each of the call's messages again alone (a call with one message, isRerun() true),
/// each under a savepoint of its own: only the guilty message fails (a retry row, or a failed
/// row for a MalformedMessage; see Handler::handle()) and its neighbours commit. A handler
/// throws, then, for any message it cannot take; it need not find out which one it was. So
/// that a failing call costs a second run of its messages, not a lost batch, a handler should
/// keep its effects outside the database idempotent (see HandlerContext::isRerun()).
///
/// handleBatch() may be called from several consumer threads at once.
class MSGBUS_API BatchHandler : public Handler {
public:
    ~BatchHandler() override;

    /// Handles messages (one or more, each with its id) in the inbox transaction of
    /// context.session(). Whatever it throws rolls back the whole call; see above for what
    /// becomes of its messages.
    virtual void handleBatch(std::span<const Message> messages, BatchHandlerContext& context) = 0;

    /// One message through handleBatch(): what a caller that knows only Handler gets. Its
    /// context's publish(message) and publish(message, cause) both continue the handled
    /// message's trace, as context.publish() does.
    void handle(const Message& message, HandlerContext& context) final;
};

} // namespace msgbus
