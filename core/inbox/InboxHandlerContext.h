#pragma once

#include "core/inbox/PublishedWrite.h"
#include "core/tracing/TraceContext.h"

#include <msgbus/HandlerContext.h>
#include <msgbus/OutboxWriter.h>

#include <Poco/Logger.h>

#include <functional>
#include <vector>

namespace msgbus::core {

/// The HandlerContext of one message (the cause) inside the inbox transaction: publish()
/// checks the message at once and keeps it; flush(), after the handler returned and before its
/// savepoint ends, writes all it kept to the outbox through the same session with multi-row
/// INSERTs (a round trip per statement, not per message), so the new events commit or roll
/// back with the handler's work and the deduplication record, and a failing write is this
/// handling's failure. In a batch without savepoints, flush() hands them to the batch instead
/// (deferTo), which writes what all its handlers published at once. Each carries the cause's trace
/// and correlation (inheritContext); with spanId, their traceparent names this handling as parent.
class InboxHandlerContext : public HandlerContext {
public:
    InboxHandlerContext(Poco::Data::Session& session, OutboxWriter::Options outbox,
                        Poco::Logger& logger, const Message& cause, int attempt,
                        const std::string& consumer, bool rerun = false,
                        std::string spanId = std::string(), std::vector<Message>* deferTo = nullptr)
        : _session(session), _maxBodyBytes(outbox.maxBodyBytes),
          _write(session, std::move(outbox), deferTo), _logger(logger), _cause(cause),
          _attempt(attempt), _consumer(consumer), _rerun(rerun), _spanId(std::move(spanId)) {}

    Poco::Data::Session& session() override { return _session; }
    void publish(Message message) override {
        inheritContext(_cause, message, _spanId);
        OutboxWriter::validate(message, _maxBodyBytes);
        _pending.push_back(std::move(message));
        ++_published;
    }
    /// Writes what publish() kept; throws what the write throws (nothing is kept then). With
    /// deferTo, appends it there instead, for the caller to write.
    void flush() {
        std::vector<Message> pending = std::move(_pending);
        _pending.clear();
        _write.take(std::move(pending));
    }
    Poco::Logger& logger() override { return _logger; }
    int attempt() const override { return _attempt; }
    const std::string& consumerName() const override { return _consumer; }
    bool isRerun() const override { return _rerun; }

    /// How many messages the handler published (the relay is woken when > 0).
    int published() const noexcept { return _published; }

private:
    Poco::Data::Session& _session;
    std::size_t _maxBodyBytes;
    PublishedWrite _write;
    std::vector<Message> _pending; ///< published, not yet written
    Poco::Logger& _logger;
    const Message& _cause;
    int _attempt;
    const std::string& _consumer;
    bool _rerun;
    std::string _spanId; ///< the span of this handling, when spans are recorded
    int _published = 0;
};

} // namespace msgbus::core
