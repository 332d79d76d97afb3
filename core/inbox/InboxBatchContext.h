#pragma once

#include "core/inbox/PublishedWrite.h"

#include <msgbus/BatchHandler.h>
#include <msgbus/OutboxWriter.h>

#include <Poco/Logger.h>

#include <span>
#include <string>
#include <vector>

namespace msgbus::core {

/// The BatchHandlerContext of one batch handler call inside the inbox transaction: publish()
/// checks the message at once and keeps it; flush(), after the call returned and before its
/// savepoint ends, writes all it kept to the outbox through the same session with multi-row
/// INSERTs (a round trip per statement, not per message), so the new events commit or roll
/// back with the handler's work and the deduplication records, and a failing write fails the
/// call (whose messages then run alone, so that the guilty one is found); in a batch without
/// savepoints, flush() hands them to the batch instead (deferTo), which writes what all its
/// handlers published at once. publish(message, cause)
/// carries the cause's trace and correlation (inheritContext), its traceparent naming the cause's
/// handling span (spanIds, one per message, "" when none); publish(message) carries none.
///
/// Borrows session, logger, messages, spanIds and consumer: they must outlive it.
class InboxBatchContext : public BatchHandlerContext {
public:
    InboxBatchContext(Poco::Data::Session& session, OutboxWriter::Options outbox,
                      Poco::Logger& logger, std::span<const Message> messages,
                      std::span<const std::string> spanIds, int attempt,
                      const std::string& consumer, bool rerun,
                      std::vector<Message>* deferTo = nullptr);

    Poco::Data::Session& session() override { return _session; }
    void publish(Message message) override;
    void publish(Message message, const Message& cause) override;
    Poco::Logger& logger() override { return _logger; }
    int attempt() const override { return _attempt; }
    const std::string& consumerName() const override { return _consumer; }
    bool isRerun() const override { return _rerun; }

    /// How many messages were published with the i-th message as their cause; those published
    /// without a cause count for the first message (the relay is woken when any is > 0).
    int published(std::size_t i) const noexcept { return _published[i]; }

    /// Writes what publish() kept; throws what the write throws (nothing is kept then). With
    /// deferTo, appends it there instead, for the caller to write.
    void flush();

private:
    /// The position of cause among the call's messages; throws InvalidArgument when it is none.
    std::size_t indexOf(const Message& cause) const;

    /// Checks message and keeps it for flush().
    void keep(Message&& message);

    Poco::Data::Session& _session;
    std::size_t _maxBodyBytes;
    PublishedWrite _write;
    std::vector<Message> _pending; ///< published, not yet written
    Poco::Logger& _logger;
    std::span<const Message> _messages;
    std::span<const std::string> _spanIds;
    int _attempt;
    const std::string& _consumer;
    bool _rerun;
    std::vector<int> _published;
};

} // namespace msgbus::core
