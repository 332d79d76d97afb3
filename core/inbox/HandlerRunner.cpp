#include "core/inbox/HandlerRunner.h"

#include "core/inbox/InboxHandlerContext.h"
#include "core/tracing/SpanExporter.h"
#include "core/tracing/TraceContext.h"

namespace msgbus::core {

HandlerRunner::HandlerRunner(OutboxWriter::Options outbox, std::string consumer,
                             SpanExporter* const& spans)
    : _outbox(std::move(outbox)), _consumer(std::move(consumer)), _spans(spans) {}

void HandlerRunner::run(Poco::Data::Session& session, PreparedMessage& p) const {
    // A span only for a traced message: its trace goes on; an untraced one starts none.
    p.spanId.clear();
    if (_spans && !traceIdOf(*p.message).empty())
        p.spanId = newSpanId();
    InboxHandlerContext context(
        session, _outbox, Poco::Logger::get("msgbus.plugin." + p.handler->pluginId), *p.message,
        p.item->attempt, _consumer, p.handlerRan || p.item->rerun, p.spanId);
    p.handlerRan = true;
    p.startNanos = unixNanosNow();
    p.endNanos = 0;
    try {
        p.handler->handler->handle(*p.message, context);
    } catch (...) {
        p.endNanos = unixNanosNow();
        throw;
    }
    p.endNanos = unixNanosNow();
    p.published = context.published();
}

} // namespace msgbus::core
