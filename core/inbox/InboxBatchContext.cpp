#include "core/inbox/InboxBatchContext.h"

#include "core/tracing/TraceContext.h"

#include <msgbus/Error.h>

namespace msgbus::core {

InboxBatchContext::InboxBatchContext(Poco::Data::Session& session, OutboxWriter::Options outbox,
                                     Poco::Logger& logger, std::span<const Message> messages,
                                     std::span<const std::string> spanIds, int attempt,
                                     const std::string& consumer, bool rerun,
                                     std::vector<Message>* deferTo)
    : _session(session), _maxBodyBytes(outbox.maxBodyBytes),
      _write(session, std::move(outbox), deferTo), _logger(logger), _messages(messages),
      _spanIds(spanIds), _attempt(attempt), _consumer(consumer), _rerun(rerun),
      _published(messages.size(), 0) {}

void InboxBatchContext::publish(Message message) {
    keep(std::move(message));
    ++_published.front();
}

void InboxBatchContext::publish(Message message, const Message& cause) {
    const std::size_t i = indexOf(cause);
    inheritContext(_messages[i], message, _spanIds[i]);
    keep(std::move(message));
    ++_published[i];
}

void InboxBatchContext::keep(Message&& message) {
    // Checked here, so that the handler learns of an invalid message at its publish().
    OutboxWriter::validate(message, _maxBodyBytes);
    _pending.push_back(std::move(message));
}

void InboxBatchContext::flush() {
    std::vector<Message> pending = std::move(_pending);
    _pending.clear();
    _write.take(std::move(pending));
}

std::size_t InboxBatchContext::indexOf(const Message& cause) const {
    // The element of the span itself, as a handler looping over it passes it.
    if (&cause >= _messages.data() && &cause < _messages.data() + _messages.size())
        return static_cast<std::size_t>(&cause - _messages.data());
    if (cause.hasId())
        for (std::size_t i = 0; i < _messages.size(); ++i)
            if (_messages[i].id() == cause.id())
                return i;
    throw InvalidArgument("publish(message, cause): the cause (" +
                          (cause.hasId() ? cause.id().toString() : std::string("no id")) + ", " +
                          cause.name() + ") is not one of the messages of this call");
}

} // namespace msgbus::core
