#include "core/inbox/MessageProcessor.h"
#include "core/util/ErrorText.h"

#include "core/db/DbErrors.h"
#include "core/db/Transaction.h"
#include "core/failed/StoredEnvelope.h"
#include "core/inbox/InboxHandlerContext.h"
#include "core/inbox/TransactionLost.h"
#include "core/tracing/TraceContext.h"
#include "core/tracing/SpanExporter.h"
#include "core/util/Clock.h"
#include "core/util/Logging.h"

#include <msgbus/Error.h>
#include <msgbus/MessageName.h>

#include <set>

namespace msgbus::core {

namespace {

/// Best-effort identity of a message that could not be decoded, for the failed row's columns.
std::optional<Id> idOf(const WireMessage& wire) {
    if (const auto* h = wire.header("x-message-id"); h && h->isString() && Id::isValid(h->text))
        return Id::parse(h->text);
    if (wire.properties.messageId && Id::isValid(*wire.properties.messageId))
        return Id::parse(*wire.properties.messageId);
    return std::nullopt;
}

std::optional<std::string> nameOf(const WireMessage& wire) {
    for (const char* key : {"x-message-name", "type"})
        if (const auto* h = wire.header(key); h && h->isString() && isValidMessageName(h->text))
            return h->text;
    if (wire.properties.type && isValidMessageName(*wire.properties.type))
        return wire.properties.type;
    return std::nullopt;
}

/// Trouble of our own session that invalidates the whole transaction: the batch is given back
/// (no message is to blame). A TransactionLost is not among them: it happens under some
/// handler, and running the messages alone finds which.
bool abortsBatch(const std::exception& e) {
    return isConnectionLost(e) || isLockConflict(e);
}

} // namespace

/// A handler threw while the batch ran without savepoints: run it again with them. suspect is
/// the message whose handler failed with a lost connection, if one did.
class MessageProcessor::HandlerFailedInFastPath : public std::exception {
public:
    HandlerFailedInFastPath() = default;
    HandlerFailedInFastPath(const InboxItem* suspect_, std::string error_)
        : suspect(suspect_), error(std::move(error_)) {}
    const InboxItem* suspect = nullptr;
    std::string error;
};

struct MessageProcessor::Prepared {
    const InboxItem* item = nullptr;
    std::optional<Message> message;
    const HandlerBinding* handler = nullptr;
    // Set by prepare() when the message cannot reach a handler at all.
    std::string rejectClass;
    std::string rejectError;
    bool rejectRetryable = false;
    /// Its handler already ran once for this attempt, in a run that was rolled back.
    bool handlerRan = false;
    // The outcome of the current run.
    ProcessResult result = ProcessResult::Handled;
    std::string error;
    int published = 0;
    /// The span of the handler's last run, when spans are recorded and the message is traced.
    std::string spanId;
    std::int64_t startNanos = 0;
    std::int64_t endNanos = 0;

    std::optional<Id> id() const {
        return message ? std::optional<Id>(message->id()) : idOf(*item->wire);
    }
    std::optional<std::string> name() const {
        return message ? std::optional<std::string>(message->name()) : nameOf(*item->wire);
    }
};

MessageProcessor::MessageProcessor(Database& database, const Settings& settings, Metrics& metrics,
                                   std::string consumer, std::function<void()> onOutboxWrite)
    : _database(database), _settings(settings), _metrics(metrics), _consumer(std::move(consumer)),
      _source("amqp:" + _consumer), _dedup(database.dialect(), settings.dedupTable),
      _failed(database.dialect(), settings.failedTable),
      _retryBackoff(settings.retry.delay, settings.retry.multiplier, settings.retry.maxDelay),
      _onOutboxWrite(std::move(onOutboxWrite)), _log(Poco::Logger::get("msgbus.inbox")) {}

std::vector<MessageProcessor::Prepared>
MessageProcessor::prepare(const PluginSet& plugins, std::span<const InboxItem> items) {
    if (!plugins.serializer)
        throw Error("consumer " + _consumer + ": no serializer plugin is loaded");
    std::vector<Prepared> batch(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        Prepared& p = batch[i];
        p.item = &items[i];
        if (p.item->decodeError) {
            p.rejectClass = "UndecodableDelivery";
            p.rejectError = *p.item->decodeError;
            continue;
        }
        try {
            Message message = plugins.serializer->decode(*p.item->wire);
            if (!message.hasId())
                throw MalformedMessage("message id", "the serializer returned no id");
            validateMessageName(message.name());
            p.message = std::move(message);
        } catch (const MalformedMessage& e) {
            p.rejectClass = "MalformedMessage";
            p.rejectError = e.what();
            continue;
        } catch (const InvalidArgument& e) {
            p.rejectClass = "MalformedMessage";
            p.rejectError = e.what();
            continue;
        } catch (const std::exception& e) {
            // Any other serializer failure is transient (Serializer.h: only MalformedMessage is
            // permanent): retried, never looped on the broker.
            p.rejectClass = "DecodeError";
            p.rejectError = errorText(e);
            p.rejectRetryable = true;
            continue;
        } catch (...) {
            p.rejectClass = "DecodeError";
            p.rejectError = "unknown exception from the serializer";
            p.rejectRetryable = true;
            continue;
        }
        p.handler = plugins.handlerFor(_consumer, p.message->name());
        if (!p.handler) {
            p.rejectClass = "UnknownMessageName";
            p.rejectError = "no handler of consumer '" + _consumer + "' takes message name '" +
                            p.message->name() + "'";
        }
    }
    return batch;
}

void MessageProcessor::recordFailure(Poco::Data::Session& session, Prepared& p,
                                     const std::string& errorClass, const std::string& error,
                                     bool retryable) {
    const std::int64_t now = nowMillis();
    const int attempt = p.item->attempt;
    const bool retry = retryable && attempt <= _settings.retry.maxRetries;
    p.result = retry ? ProcessResult::Retry : ProcessResult::Failed;
    p.error = errorClass + ": " + error;
    const std::int64_t due = retry ? now + _retryBackoff.delay(attempt).count() : now;

    if (p.item->retryRowId != 0) {
        if (auto row = _failed.find(session, p.item->retryRowId)) {
            row->queueName = retry ? "retry" : "failed";
            row->errorClass = errorClass;
            row->errorMessage = error;
            row->attempts = attempt;
            row->availableAt = due;
            if (!retry)
                row->failedAt = now;
            _failed.update(session, *row);
        }
        return;
    }
    FailedRecord record;
    record.queueName = retry ? "retry" : "failed";
    record.source = _source;
    record.messageId = p.id();
    record.messageName = p.name();
    record.body = p.item->wire->body;
    record.errorClass = errorClass;
    record.errorMessage = error;
    try {
        record.envelopeJson = envelopeToJson(*p.item->wire);
    } catch (const std::exception& e) {
        // Headers the failed-row JSON cannot hold (a value outside its kind's range): the row
        // is kept without them, and a retry could not re-create the message.
        record.envelopeJson = "{}";
        record.errorMessage += " [headers not stored: " + errorText(e) + "]";
        record.queueName = "failed";
    }
    record.attempts = attempt;
    record.createdAt = now;
    record.availableAt = due;
    if (record.queueName == "failed")
        record.failedAt = now;
    _failed.insert(session, record);
    if (record.queueName == "failed") {
        p.result = ProcessResult::Failed;
        p.error = errorClass + ": " + record.errorMessage;
    }
}

void MessageProcessor::markKnownDuplicates(Poco::Data::Session& session,
                                           std::span<Prepared> batch) {
    std::vector<Id> ids;
    for (const auto& p : batch)
        if (p.handler && p.result == ProcessResult::Handled)
            ids.push_back(p.message->id());
    const std::set<Id> known = _dedup.findProcessed(session, _consumer, ids);
    for (auto& p : batch)
        if (p.handler && p.result == ProcessResult::Handled && known.count(p.message->id()))
            p.result = ProcessResult::Duplicate;
}

bool MessageProcessor::insertDedupRows(Poco::Data::Session& session,
                                       std::vector<Prepared*>& fresh) {
    std::vector<DedupStore::Entry> entries;
    entries.reserve(fresh.size());
    for (const auto* p : fresh)
        entries.push_back({p->message->id(), p->message->name()});
    // Fewer rows than ids: another worker committed one of them since our SELECT.
    return _dedup.tryInsertAll(session, _consumer, entries, nowMillis()) == entries.size();
}

void MessageProcessor::runHandler(Poco::Data::Session& session, Prepared& p) {
    OutboxWriter::Options outbox{_settings.outbox.table, _settings.outbox.maxBodyBytes};
    // A span only for a traced message: its trace goes on; an untraced one starts none.
    p.spanId.clear();
    if (_metrics.spans && !traceIdOf(*p.message).empty())
        p.spanId = newSpanId();
    InboxHandlerContext context(session, outbox,
                                Poco::Logger::get("msgbus.plugin." + p.handler->pluginId),
                                *p.message, p.item->attempt, _consumer, p.handlerRan, p.spanId);
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

void MessageProcessor::runBatch(Poco::Data::Session& session, std::span<Prepared> batch,
                                bool savepoints) {
    std::set<Id> inBatch;
    for (auto& p : batch) {
        p.result = ProcessResult::Handled;
        p.error.clear();
        p.published = 0;
        if (!p.rejectClass.empty()) {
            recordFailure(session, p, p.rejectClass, p.rejectError, p.rejectRetryable);
            continue;
        }
        // The same message twice in one batch (a redelivered copy): the later one is a duplicate.
        if (!inBatch.insert(p.message->id()).second)
            p.result = ProcessResult::Duplicate;
    }
    markKnownDuplicates(session, batch);

    std::vector<Prepared*> fresh;
    for (auto& p : batch) {
        if (!p.handler || p.result != ProcessResult::Handled)
            continue;
        if (p.item->redeliveries > _settings.inbox.maxRedeliveries) {
            // It keeps coming back (it crashed or stalled a consumer, or its batch kept
            // failing): stop the loop here, whatever the cause.
            recordFailure(session, p, "RedeliveryLimit",
                          "delivered " + std::to_string(p.item->redeliveries + 1) +
                              " times (inbox.max_redeliveries = " +
                              std::to_string(_settings.inbox.maxRedeliveries) + "); last error: " +
                              (p.item->lastError.empty()
                                   ? std::string("none seen by this host (an earlier delivery "
                                                 "may have stopped a host)")
                                   : p.item->lastError),
                          false);
            continue;
        }
        fresh.push_back(&p);
    }

    if (!savepoints) {
        if (!insertDedupRows(session, fresh))
            throw HandlerFailedInFastPath();
        for (auto* p : fresh) {
            try {
                runHandler(session, *p);
            } catch (const std::exception& e) {
                // Whatever it was, the run with savepoints tells the handler's failure from
                // the transaction's.
                if (isConnectionLost(e))
                    throw HandlerFailedInFastPath(p->item, p->handler->pluginId + "/" +
                                                               p->handler->className + ": " +
                                                               errorText(e));
                throw HandlerFailedInFastPath();
            } catch (...) {
                throw HandlerFailedInFastPath();
            }
        }
        requireDedupRows(session, fresh);
    } else {
        static const std::string savepoint = "msgbus_item";
        Transaction::Savepoints sp(session);
        std::vector<Prepared*> handled;
        for (auto* p : fresh) {
            sp.set(savepoint);
            if (!_dedup.tryInsert(session, p->message->id(), _consumer, p->message->name(),
                                  nowMillis())) {
                p->result = ProcessResult::Duplicate;
                continue;
            }
            const std::string who = p->handler->pluginId + "/" + p->handler->className + ": ";
            std::string errorClass = "HandlerFailed";
            std::string error;
            bool retryable = true;
            try {
                runHandler(session, *p);
                handled.push_back(p);
                continue;
            } catch (const MalformedMessage& e) {
                errorClass = "MalformedMessage";
                error = who + e.what();
                retryable = false;
            } catch (const std::exception& e) {
                error = who + errorText(e);
            } catch (...) {
                error = who + "unknown exception";
            }
            // Rolling back to the savepoint is what tells a handler's failure from the
            // transaction's: after a deadlock or a lost connection the savepoint is gone too.
            try {
                sp.rollbackTo(savepoint);
            } catch (const std::exception& e) {
                throw TransactionLost("the inbox transaction failed under handler " + who + error +
                                      " (rolling back to its savepoint: " + errorText(e) + ")");
            }
            recordFailure(session, *p, errorClass, error, retryable);
        }
        requireDedupRows(session, handled);
    }

    // A retry row whose message is now done (handled, or found to be a duplicate) goes.
    for (auto& p : batch)
        if (p.item->retryRowId != 0 &&
            (p.result == ProcessResult::Handled || p.result == ProcessResult::Duplicate))
            _failed.remove(session, p.item->retryRowId);
}

void MessageProcessor::requireDedupRows(Poco::Data::Session& session,
                                        std::span<Prepared*> handled) {
    // A handler that catches a deadlock and carries on leaves a transaction that the server
    // has already rolled back, our dedup rows with it; committing now would keep only what
    // ran after the deadlock. The first handled message's dedup row was written before any
    // handler of this transaction ran, so it is gone whenever the transaction was rolled back
    // under them: one primary-key lookup per batch finds that out.
    if (handled.empty())
        return;
    if (!_dedup.exists(session, handled.front()->message->id(), _consumer))
        throw TransactionLost("the inbox transaction was rolled back while its handlers ran "
                              "(its dedup rows vanished; did a handler catch a deadlock?)");
}

void MessageProcessor::runInTransaction(Poco::Data::Session& session, std::span<Prepared> batch,
                                        bool savepoints) {
    Transaction tx(session, _database.dialect());
    runBatch(session, batch, savepoints);
    tx.commit();
}

void MessageProcessor::runAlone(Poco::Data::Session& session, std::span<Prepared> batch) {
    std::size_t committed = 0;
    std::string firstError;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        Prepared& p = batch[i];
        std::string errorClass = "StorageFailed";
        bool retryable = false;
        try {
            runInTransaction(session, std::span<Prepared>(&p, 1), true);
            ++committed;
            continue;
        } catch (const std::exception& e) {
            if (isConnectionLost(e)) {
                if (committed == 0)
                    throw;
                // The database went away: what was committed stays, the rest goes back.
                _log.warning("consumer %s: %s; %z messages go back to the broker", _consumer,
                             errorText(e), batch.size() - i);
                for (std::size_t k = i; k < batch.size(); ++k)
                    batch[k].result = ProcessResult::Requeue;
                return;
            }
            p.error = errorText(e);
            if (isLockConflict(e) || dynamic_cast<const TransactionLost*>(&e)) {
                // Its transaction was lost while it ran alone: maybe its handler's doing, maybe
                // bad luck. Retried later like a handler failure.
                errorClass = "TransactionFailed";
                retryable = true;
            }
        }
        if (firstError.empty())
            firstError = p.error;
        // This message alone makes the database refuse our statements, or loses its
        // transaction: it is the guilty one.
        try {
            Transaction tx(session, _database.dialect());
            recordFailure(session, p, errorClass,
                          retryable ? p.error
                                    : "the database refused to record this message: " + p.error,
                          retryable);
            tx.commit();
            ++committed;
        } catch (const std::exception& e) {
            if (isConnectionLost(e) && committed == 0)
                throw;
            _log.error("consumer %s: a message can be neither processed nor stored as failed, it "
                       "goes back to the broker: %s",
                       _consumer, errorText(e));
            p.result = ProcessResult::RequeueSuspect;
            p.error = errorText(e);
        }
    }
    // Not one message could be stored: the database refuses every write (read-only after a
    // failover, disk full), which is no message's fault. The batch goes back whole.
    if (committed == 0 && !batch.empty())
        throw Error("consumer " + _consumer + ": the database stored nothing of a batch of " +
                    std::to_string(batch.size()) + ": " + firstError);
}

std::vector<ProcessResult> MessageProcessor::processBatch(const PluginSet& plugins,
                                                          std::span<const InboxItem> items) {
    std::vector<Prepared> batch = prepare(plugins, items);
    auto session = _database.session();
    const InboxItem* suspect = nullptr;
    std::string suspectError;
    try {
        try {
            runInTransaction(*session, batch, false);
        } catch (const HandlerFailedInFastPath& failed) {
            // Rare path: the transaction above was rolled back whole; isolate each message.
            suspect = failed.suspect;
            suspectError = failed.error;
            runInTransaction(*session, batch, true);
        }
    } catch (const BatchAborted&) {
        throw;
    } catch (const std::exception& e) {
        if (abortsBatch(e)) {
            if (suspect)
                throw BatchAborted("the database connection was lost under handler " + suspectError,
                                   suspect);
            throw;
        }
        // Not an outage, so some message of the batch makes the database refuse a statement
        // of ours: run each alone, so that only that one fails.
        _log.warning("consumer %s: a batch of %z failed (%s); running its messages one by one",
                     _consumer, batch.size(), errorText(e));
        runAlone(*session, batch);
    }
    report(batch);

    std::vector<ProcessResult> results;
    results.reserve(batch.size());
    for (const auto& p : batch)
        results.push_back(p.result);
    return results;
}

void MessageProcessor::log(const Prepared& p, Poco::Message::Priority priority,
                           const std::string& text) {
    if (!_log.is(priority))
        return;
    // The fields a JSON log line carries besides the text.
    Poco::Message message(_log.name(), text, priority);
    message.set(LogFields::consumer, _consumer);
    if (auto id = p.id())
        message.set(LogFields::messageId, id->toString());
    if (auto name = p.name())
        message.set(LogFields::messageName, *name);
    if (p.message)
        if (auto trace = traceIdOf(*p.message); !trace.empty())
            message.set(LogFields::traceId, trace);
    _log.log(message);
}

void MessageProcessor::recordSpan(const Prepared& p) {
    if (!_metrics.spans || p.spanId.empty() || !p.message)
        return;
    auto parent = TraceParent::parse(p.message->header("traceparent").value_or(""));
    if (!parent)
        return;
    Span span;
    span.traceId = parent->traceId;
    span.spanId = p.spanId;
    span.parentSpanId = parent->parentId;
    span.name = "handle " + p.message->name();
    span.kind = 5; // consumer
    span.startUnixNanos = p.startNanos;
    span.endUnixNanos = p.endNanos ? p.endNanos : unixNanosNow();
    span.attributes = {{"messaging.system", "rabbitmq"},
                       {"messaging.consumer.group.name", _consumer},
                       {"messaging.message.id", p.message->id().toString()},
                       {"msgbus.message.name", p.message->name()},
                       {"msgbus.attempt", std::to_string(p.item->attempt)}};
    if (p.result != ProcessResult::Handled)
        span.error = p.error;
    _metrics.spans->record(std::move(span));
}

void MessageProcessor::report(std::span<const Prepared> batch) {
    bool published = false;
    // Committed just now: one clock read for the batch.
    const std::int64_t committedAt = nowMillis();
    for (const auto& p : batch) {
        published = published || p.published > 0;
        const std::string id = p.id() ? p.id()->toString() : std::string("<no id>");
        const std::string name = p.name().value_or("<no name>");
        if (p.result == ProcessResult::Handled || p.result == ProcessResult::Retry ||
            p.result == ProcessResult::Failed)
            recordSpan(p);
        switch (p.result) {
        case ProcessResult::Handled:
            Metrics::add(_metrics.consumed);
            // Clocks of other hosts may run ahead: a negative lag counts as none.
            if (p.message && p.message->createdAt() > 0)
                _metrics.inboxLag.observe(static_cast<double>(
                    std::max<std::int64_t>(0, committedAt - p.message->createdAt())));
            break;
        case ProcessResult::Duplicate:
            Metrics::add(_metrics.deduplicated);
            break;
        case ProcessResult::Retry:
            Metrics::add(_metrics.retried);
            log(p, Poco::Message::PRIO_WARNING,
                "consumer " + _consumer + ": message " + id + " (" + name + ") attempt " +
                    std::to_string(p.item->attempt) + " failed, will be retried: " + p.error);
            break;
        case ProcessResult::Failed:
            Metrics::add(_metrics.failed);
            log(p, Poco::Message::PRIO_ERROR,
                "consumer " + _consumer + ": message " + id + " (" + name +
                    ") moved to the failed table: " + p.error);
            break;
        case ProcessResult::Requeue:
        case ProcessResult::RequeueSuspect:
            break;
        }
    }
    if (published && _onOutboxWrite)
        _onOutboxWrite();
}

ProcessResult MessageProcessor::process(const PluginSet& plugins, const WireMessage& wire,
                                        int attempt, std::int64_t retryRowId) {
    const InboxItem item(&wire, attempt, retryRowId);
    return processBatch(plugins, std::span<const InboxItem>(&item, 1)).front();
}

} // namespace msgbus::core
