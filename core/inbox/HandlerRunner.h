#pragma once

#include "core/inbox/PreparedMessage.h"

#include <msgbus/OutboxWriter.h>

#include <Poco/Data/Session.h>

#include <span>
#include <string>
#include <vector>

namespace msgbus::core {

class SpanExporter;

/// Runs a handler inside the inbox transaction, for one message or, for a batch handler, for
/// the messages of one call: its context writes what it publishes to the outbox on the same
/// session, and the run is timed for each message's span. What the
/// handler throws is rethrown as is (after the end of the run is noted): whose fault it is,
/// FailureClassifier says.
///
/// Not thread-safe: one per worker thread, like the session it is given.
class HandlerRunner {
public:
    /// spans: the host's exporter pointer (Metrics::spans, null when tracing is off), read at
    /// each run; it must outlive the runner.
    HandlerRunner(OutboxWriter::Options outbox, std::string consumer, SpanExporter* const& spans);

    /// Runs p's handler (p.handler and p.message are required); sets p's run fields (handlerRan,
    /// spanId, startNanos, endNanos, published). A batch handler gets p alone. With deferTo,
    /// what the handler publishes is appended there instead of being written (writeDeferred()).
    void run(Poco::Data::Session& session, PreparedMessage& p,
             std::vector<Message>* deferTo = nullptr) const;

    /// Runs one BatchHandler::handleBatch() call over call (one or more messages of the same
    /// batch handler, attempt and rerun flag; see HandlerCalls) and sets each message's run
    /// fields. The messages are lent to the handler as one contiguous span for the call and
    /// are back in place when it returns or throws.
    void runBatch(Poco::Data::Session& session, std::span<PreparedMessage* const> call,
                  std::vector<Message>* deferTo = nullptr) const;

    /// Writes messages that runs with deferTo collected to the outbox, with multi-row INSERTs.
    void writeDeferred(Poco::Data::Session& session, std::vector<Message>& messages) const;

private:
    /// A new span id for a traced message when spans are recorded, else "".
    std::string spanFor(const Message& message) const;

    OutboxWriter::Options _outbox;
    std::string _consumer;
    SpanExporter* const& _spans;
};

} // namespace msgbus::core
