#pragma once

#include "core/inbox/PreparedMessage.h"

#include <msgbus/OutboxWriter.h>

#include <Poco/Data/Session.h>

#include <string>

namespace msgbus::core {

class SpanExporter;

/// Runs one message's handler inside the inbox transaction: its context writes what it
/// publishes to the outbox on the same session, and the run is timed for its span. What the
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
    /// spanId, startNanos, endNanos, published).
    void run(Poco::Data::Session& session, PreparedMessage& p) const;

private:
    OutboxWriter::Options _outbox;
    std::string _consumer;
    SpanExporter* const& _spans;
};

} // namespace msgbus::core
