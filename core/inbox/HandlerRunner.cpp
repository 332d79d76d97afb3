#include "core/inbox/HandlerRunner.h"

#include "core/inbox/InboxBatchContext.h"
#include "core/inbox/InboxHandlerContext.h"
#include "core/inbox/PublishedWrite.h"
#include "core/tracing/SpanExporter.h"
#include "core/tracing/TraceContext.h"

namespace msgbus::core {
namespace {

/// Lends the call's messages to a handler as one contiguous span, and puts them back (moves,
/// no copies) however the call ends.
class LentMessages {
public:
    explicit LentMessages(std::span<PreparedMessage* const> call) : _call(call) {
        _messages.reserve(call.size());
        for (auto* p : call)
            _messages.push_back(std::move(*p->message));
    }
    ~LentMessages() {
        for (std::size_t i = 0; i < _call.size(); ++i)
            *_call[i]->message = std::move(_messages[i]);
    }
    LentMessages(const LentMessages&) = delete;
    LentMessages& operator=(const LentMessages&) = delete;

    std::span<const Message> messages() const noexcept { return _messages; }

private:
    std::span<PreparedMessage* const> _call;
    std::vector<Message> _messages;
};

} // namespace

HandlerRunner::HandlerRunner(OutboxWriter::Options outbox, std::string consumer,
                             SpanExporter* const& spans)
    : _outbox(std::move(outbox)), _consumer(std::move(consumer)), _spans(spans) {}

std::string HandlerRunner::spanFor(const Message& message) const {
    // A span only for a traced message: its trace goes on; an untraced one starts none.
    return _spans && !traceIdOf(message).empty() ? newSpanId() : std::string();
}

void HandlerRunner::run(Poco::Data::Session& session, PreparedMessage& p,
                        std::vector<Message>* deferTo) const {
    if (p.handler->batch) {
        PreparedMessage* one = &p;
        runBatch(session, std::span<PreparedMessage* const>(&one, 1), deferTo);
        return;
    }
    p.spanId = spanFor(*p.message);
    InboxHandlerContext context(
        session, _outbox, Poco::Logger::get("msgbus.plugin." + p.handler->pluginId), *p.message,
        p.item->attempt, _consumer, p.handlerRan || p.item->rerun, p.spanId, deferTo);
    p.handlerRan = true;
    p.startNanos = unixNanosNow();
    p.endNanos = 0;
    try {
        p.handler->handler->handle(*p.message, context);
        context.flush();
    } catch (...) {
        p.endNanos = unixNanosNow();
        throw;
    }
    p.endNanos = unixNanosNow();
    p.published = context.published();
}

void HandlerRunner::runBatch(Poco::Data::Session& session, std::span<PreparedMessage* const> call,
                             std::vector<Message>* deferTo) const {
    const PreparedMessage& first = *call.front();
    const bool rerun = first.handlerRan || first.item->rerun;
    std::vector<std::string> spanIds;
    spanIds.reserve(call.size());
    for (auto* p : call)
        spanIds.push_back(spanFor(*p->message));
    const std::int64_t start = unixNanosNow();
    for (std::size_t i = 0; i < call.size(); ++i) {
        call[i]->spanId = spanIds[i];
        call[i]->handlerRan = true;
        call[i]->startNanos = start;
        call[i]->endNanos = 0;
    }
    const auto ended = [&] {
        const std::int64_t end = unixNanosNow();
        for (auto* p : call)
            p->endNanos = end;
    };
    LentMessages lent(call);
    InboxBatchContext context(
        session, _outbox, Poco::Logger::get("msgbus.plugin." + first.handler->pluginId),
        lent.messages(), spanIds, first.item->attempt, _consumer, rerun, deferTo);
    try {
        first.handler->batch->handleBatch(lent.messages(), context);
        context.flush();
    } catch (...) {
        ended();
        throw;
    }
    ended();
    for (std::size_t i = 0; i < call.size(); ++i)
        call[i]->published = context.published(i);
}

void HandlerRunner::writeDeferred(Poco::Data::Session& session,
                                  std::vector<Message>& messages) const {
    PublishedWrite(session, _outbox, nullptr).take(std::move(messages));
}

} // namespace msgbus::core
