#pragma once

#include "core/tracing/TraceContext.h"

#include <msgbus/HandlerContext.h>
#include <msgbus/OutboxWriter.h>

#include <Poco/Logger.h>

#include <functional>

namespace msgbus::core {

/// The HandlerContext of one message (the cause) inside the inbox transaction: publish()
/// writes to the outbox through the same session, so the new events commit or roll back with
/// the handler's work and the deduplication record. Each carries the cause's trace and
/// correlation (inheritContext); with spanId, their traceparent names this handling as parent.
class InboxHandlerContext : public HandlerContext {
public:
    InboxHandlerContext(Poco::Data::Session& session, OutboxWriter::Options outbox,
                        Poco::Logger& logger, const Message& cause, int attempt,
                        const std::string& consumer, bool rerun = false,
                        std::string spanId = std::string())
        : _session(session), _writer(session, std::move(outbox)), _logger(logger), _cause(cause),
          _attempt(attempt), _consumer(consumer), _rerun(rerun), _spanId(std::move(spanId)) {}

    Poco::Data::Session& session() override { return _session; }
    void publish(Message message) override {
        inheritContext(_cause, message, _spanId);
        _writer.write(message);
        ++_published;
    }
    Poco::Logger& logger() override { return _logger; }
    int attempt() const override { return _attempt; }
    const std::string& consumerName() const override { return _consumer; }
    bool isRerun() const override { return _rerun; }

    /// How many messages the handler published (the relay is woken when > 0).
    int published() const noexcept { return _published; }

private:
    Poco::Data::Session& _session;
    OutboxWriter _writer;
    Poco::Logger& _logger;
    const Message& _cause;
    int _attempt;
    const std::string& _consumer;
    bool _rerun;
    std::string _spanId; ///< the span of this handling, when spans are recorded
    int _published = 0;
};

} // namespace msgbus::core
