#include "core/inbox/MessageProcessor.h"

#include "core/db/DbErrors.h"
#include "core/db/Transaction.h"
#include "core/failed/StoredEnvelope.h"
#include "core/inbox/InboxHandlerContext.h"
#include "core/util/Clock.h"

#include <msgbus/Error.h>
#include <msgbus/MessageName.h>

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

std::string describe(const std::exception& e) {
    return e.what();
}

} // namespace

MessageProcessor::MessageProcessor(Database& database, const Settings& settings, Metrics& metrics,
                                   std::string consumer, std::function<void()> onOutboxWrite)
    : _database(database), _settings(settings), _metrics(metrics), _consumer(std::move(consumer)),
      _source("amqp:" + _consumer), _dedup(database.dialect(), settings.dedupTable),
      _failed(database.dialect(), settings.failedTable),
      _retryBackoff(settings.retry.delay, settings.retry.multiplier, settings.retry.maxDelay),
      _onOutboxWrite(std::move(onOutboxWrite)), _log(Poco::Logger::get("msgbus.inbox")) {}

ProcessResult MessageProcessor::fail(Poco::Data::Session& session, const WireMessage& wire,
                                     const std::optional<Id>& id,
                                     const std::optional<std::string>& name,
                                     const std::string& errorClass, const std::string& error,
                                     int attempts, std::int64_t retryRowId) {
    const std::int64_t now = nowMillis();
    Transaction tx(session, _database.dialect());
    if (retryRowId != 0) {
        auto row = _failed.find(session, retryRowId);
        if (row) {
            row->queueName = "failed";
            row->errorClass = errorClass;
            row->errorMessage = error;
            row->attempts = attempts;
            row->failedAt = now;
            _failed.update(session, *row);
        }
    } else {
        FailedRecord record;
        record.queueName = "failed";
        record.source = _source;
        record.messageId = id;
        record.messageName = name;
        record.envelopeJson = envelopeToJson(wire);
        record.body = wire.body;
        record.errorClass = errorClass;
        record.errorMessage = error;
        record.attempts = attempts;
        record.createdAt = now;
        record.availableAt = now;
        record.failedAt = now;
        _failed.insert(session, record);
    }
    tx.commit();
    Metrics::add(_metrics.failed);
    _log.error("consumer %s: message %s (%s) moved to the failed table: %s: %s", _consumer,
               id ? id->toString() : std::string("<no id>"), name.value_or("<no name>"), errorClass,
               error);
    return ProcessResult::Failed;
}

ProcessResult MessageProcessor::retryLater(Poco::Data::Session& session, const WireMessage& wire,
                                           const Message& message, const std::string& errorClass,
                                           const std::string& error, int attempt,
                                           std::int64_t retryRowId) {
    if (attempt > _settings.retry.maxRetries)
        return fail(session, wire, message.id(), message.name(), errorClass,
                    error + " (after " + std::to_string(attempt) + " attempts)", attempt,
                    retryRowId);
    const std::int64_t now = nowMillis();
    const std::int64_t due = now + _retryBackoff.delay(attempt).count();
    Transaction tx(session, _database.dialect());
    if (retryRowId != 0) {
        if (auto row = _failed.find(session, retryRowId)) {
            row->errorClass = errorClass;
            row->errorMessage = error;
            row->attempts = attempt;
            row->availableAt = due;
            _failed.update(session, *row);
        }
    } else {
        FailedRecord record;
        record.queueName = "retry";
        record.source = _source;
        record.messageId = message.id();
        record.messageName = message.name();
        record.envelopeJson = envelopeToJson(wire);
        record.body = wire.body;
        record.errorClass = errorClass;
        record.errorMessage = error;
        record.attempts = attempt;
        record.createdAt = now;
        record.availableAt = due;
        _failed.insert(session, record);
    }
    tx.commit();
    Metrics::add(_metrics.retried);
    _log.warning("consumer %s: message %s (%s) attempt %d failed, retry in %Ldms: %s", _consumer,
                 message.id().toString(), message.name(), attempt,
                 static_cast<long long>(due - now), error);
    return ProcessResult::Retry;
}

ProcessResult MessageProcessor::process(const PluginSet& plugins, const WireMessage& wire,
                                        int attempt, std::int64_t retryRowId) {
    if (!plugins.serializer)
        throw Error("consumer " + _consumer + ": no serializer plugin is loaded");
    Message message;
    try {
        message = plugins.serializer->decode(wire);
        if (!message.hasId())
            throw MalformedMessage("message id", "the serializer returned a message without id");
        validateMessageName(message.name());
    } catch (const MalformedMessage& e) {
        auto session = _database.session();
        return fail(*session, wire, idOf(wire), nameOf(wire), "MalformedMessage", e.what(), attempt,
                    retryRowId);
    } catch (const InvalidArgument& e) {
        auto session = _database.session();
        return fail(*session, wire, idOf(wire), nameOf(wire), "MalformedMessage", e.what(), attempt,
                    retryRowId);
    } catch (const std::exception& e) {
        // Any other serializer failure counts as transient (DESIGN §3) but must not loop on
        // the broker: it goes through the retry table like a handler failure.
        auto session = _database.session();
        Message placeholder(nameOf(wire).value_or(""), "");
        if (auto id = idOf(wire))
            placeholder.setId(*id);
        else
            return fail(*session, wire, std::nullopt, nameOf(wire), "DecodeError", describe(e),
                        attempt, retryRowId);
        return retryLater(*session, wire, placeholder, "DecodeError", describe(e), attempt,
                          retryRowId);
    }

    const HandlerBinding* binding = plugins.handlerFor(_consumer, message.name());
    if (!binding) {
        auto session = _database.session();
        return fail(*session, wire, message.id(), message.name(), "UnknownMessageName",
                    "no handler of consumer '" + _consumer + "' takes message name '" +
                        message.name() + "'",
                    attempt, retryRowId);
    }

    auto session = _database.session();
    Transaction tx(*session, _database.dialect());
    if (!_dedup.tryInsert(*session, message.id(), _consumer, message.name(), nowMillis())) {
        if (retryRowId != 0)
            _failed.remove(*session, retryRowId);
        tx.commit();
        Metrics::add(_metrics.deduplicated);
        return ProcessResult::Duplicate;
    }
    int published = 0;
    try {
        OutboxWriter::Options outbox{_settings.outbox.table, _settings.outbox.maxBodyBytes};
        InboxHandlerContext context(*session, outbox,
                                    Poco::Logger::get("msgbus.plugin." + binding->pluginId),
                                    attempt, _consumer);
        binding->handler->handle(message, context);
        published = context.published();
    } catch (const MalformedMessage& e) {
        tx.rollback();
        return fail(*session, wire, message.id(), message.name(), "MalformedMessage", e.what(),
                    attempt, retryRowId);
    } catch (const std::exception& e) {
        if (isConnectionLost(e))
            throw; // the transaction is gone with the connection: redeliver
        tx.rollback();
        return retryLater(*session, wire, message, "HandlerFailed",
                          binding->pluginId + "/" + binding->className + ": " + describe(e),
                          attempt, retryRowId);
    } catch (...) {
        tx.rollback();
        return retryLater(*session, wire, message, "HandlerFailed",
                          binding->pluginId + "/" + binding->className + ": unknown exception",
                          attempt, retryRowId);
    }
    if (retryRowId != 0)
        _failed.remove(*session, retryRowId);
    tx.commit();
    Metrics::add(_metrics.consumed);
    if (published > 0 && _onOutboxWrite)
        _onOutboxWrite();
    return ProcessResult::Handled;
}

} // namespace msgbus::core
