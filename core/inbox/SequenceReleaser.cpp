#include "core/inbox/SequenceReleaser.h"

#include "core/db/Transaction.h"
#include "core/failed/StoredEnvelope.h"
#include "core/inbox/FailureClassifier.h"
#include "core/inbox/TransactionLost.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"

namespace msgbus::core {
namespace {

/// A parked message's handler lost the connection under its own statement (slower than
/// db.io_timeout_ms, or killed): nothing of the transaction committed, and the message is the
/// likely cause.
class ParkedStatementLost : public Error {
public:
    ParkedStatementLost(const std::string& what, ParkedMessage parked)
        : Error(what), _parked(std::move(parked)) {}
    const ParkedMessage& parked() const noexcept { return _parked; }

private:
    ParkedMessage _parked;
};

/// Parked messages per transaction: few, so that a crash repeats little and a key's release
/// never holds its sequence lock long; more than one, so that a long sequence commits less.
constexpr int kPerTransaction = 20;
constexpr int kKeysPerCycle = 100;
const std::string kSavepoint = "msgbus_release";

} // namespace

SequenceReleaser::SequenceReleaser(Database& database, const PipelineSettings& settings,
                                   Metrics& metrics, std::string consumer,
                                   std::function<void()> onOutboxWrite)
    : _database(database), _metrics(metrics), _consumer(std::move(consumer)),
      _store(database.dialect(), settings.dedupTable),
      _dedup(database.dialect(), settings.dedupTable, settings.dedupPartitioned),
      _decoder(_consumer),
      _recorder(database.dialect(), settings.failedTable, "amqp:" + _consumer, settings.retry),
      _runner(OutboxWriter::Options{settings.outboxTable, settings.maxBodyBytes}, _consumer,
              metrics.spans),
      _parking(_consumer, true, _store, _dedup), _onOutboxWrite(std::move(onOutboxWrite)),
      _log(Poco::Logger::get("msgbus.inbox")) {}

int SequenceReleaser::releaseDue(const PluginSet& plugins, const StopToken& stop) {
    std::vector<std::string> keys;
    {
        auto session = _database.session();
        keys = _store.released(*session, _consumer, kKeysPerCycle);
    }
    int settled = 0;
    for (const auto& key : keys) {
        // One key's trouble is that key's: the keys after it, and the consumers after this one,
        // are released all the same. Only a database that is gone ends the cycle.
        try {
            while (!stop.stopRequested() && releaseSome(plugins, key, settled)) {
            }
        } catch (const ParkedStatementLost& e) {
            if (!_database.isReachable())
                throw;
            settleLost(plugins, e.parked(), errorText(e));
        } catch (const std::exception& e) {
            if (!_database.isReachable())
                throw;
            _log.error("consumer %s: the release of a parked key failed; it is tried again next "
                       "cycle: %s",
                       _consumer, errorText(e));
        }
    }
    if (_published && _onOutboxWrite)
        _onOutboxWrite();
    _published = false;
    return settled;
}

bool SequenceReleaser::releaseSome(const PluginSet& plugins, const std::string& key, int& settled) {
    auto session = _database.session();
    Transaction tx(*session, _database.dialect());
    // Under this lock no inbox batch parks a message of the key or finds the key closed.
    if (!_store.lockReleased(*session, _consumer, key))
        return false;
    const auto parked = _store.nextParked(*session, _consumer, key, kPerTransaction);
    if (parked.empty()) {
        _store.close(*session, _consumer, key);
        tx.commit();
        _log.information("consumer %s: the parked messages of a key all ran; its sequence is "
                         "closed",
                         _consumer);
        return false;
    }
    bool more = true;
    int ran = 0;
    for (const auto& message : parked) {
        ++ran;
        if (!runParked(*session, plugins, message)) {
            more = false;
            break;
        }
    }
    // A handler that caught a deadlock and carried on leaves a transaction the server already
    // rolled back (the first parked row's removal with it, and the sequence's lock): committing
    // now would keep only what ran after the deadlock, and run the rest again next cycle.
    if (_store.parkedExists(*session, parked.front().id))
        throw TransactionLost("the release transaction of consumer " + _consumer +
                              " was rolled back while its handlers ran (a removed parked row is "
                              "back; did a handler catch a deadlock?)");
    tx.commit();
    settled += ran;
    Metrics::add(_metrics.released, static_cast<std::uint64_t>(ran));
    return more;
}

bool SequenceReleaser::runParked(Poco::Data::Session& session, const PluginSet& plugins,
                                 const ParkedMessage& parked) {
    // What arrived, as the broker delivered it: the release runs the same message the inbox
    // would have. Unreadable headers are the message's failure, not the release's.
    WireMessage wire;
    std::optional<Failure> unreadable;
    try {
        wire = envelopeFromJson(parked.headersJson, parked.body);
    } catch (const std::exception& e) {
        wire.body = parked.body;
        unreadable =
            FailureClassifier::undecodable("the parked headers cannot be read: " + errorText(e));
    }
    const InboxItem item(&wire, 1);
    auto prepared = _decoder.prepare(plugins, std::span<const InboxItem>(&item, 1));
    PreparedMessage& p = prepared.front();
    _store.removeParked(session, parked.id);
    if (unreadable || p.reject || !p.handler)
        return !fail(session, p, unreadable ? *unreadable : *p.reject);

    // Its dedup row was written when it parked, but a head that waited longer than
    // dedup.retention saw it cleaned: written again, a late redelivery stays a duplicate.
    _dedup.tryInsert(session, p.message->id(), _consumer, p.message->name(), nowMillis());
    Transaction::Savepoints sp(session);
    sp.set(kSavepoint);
    try {
        _runner.run(session, p);
        p.result = ProcessResult::Handled;
        Metrics::add(_metrics.consumed);
        _published = _published || p.published > 0;
        return true;
    } catch (...) {
        const Failure failure =
            FailureClassifier::ofHandler(p.handlerName(), std::current_exception());
        bool statementLost = false;
        try {
            throw;
        } catch (const std::exception& e) {
            statementLost = FailureClassifier::isDatabaseGone(e);
        } catch (...) {
        }
        // Fails when the transaction itself is gone (deadlock, lost connection): then nothing
        // of it commits and the release runs again, unless the message's own statement took
        // the connection with it (see settleLost).
        try {
            sp.rollbackTo(kSavepoint);
        } catch (const std::exception& e) {
            if (statementLost && FailureClassifier::isDatabaseGone(e))
                throw ParkedStatementLost(
                    "the database connection was lost under handler " + failure.error, parked);
            throw;
        }
        return !fail(session, p, failure);
    }
}

void SequenceReleaser::settleLost(const PluginSet& plugins, const ParkedMessage& parked,
                                  const std::string& error) {
    // Run again, it would lose the connection again, first in line every cycle: it counts as
    // its handler's failure and becomes the key's head, in a transaction of its own.
    WireMessage wire;
    try {
        wire = envelopeFromJson(parked.headersJson, parked.body);
    } catch (const std::exception&) {
        wire.body = parked.body;
    }
    const InboxItem item(&wire, 1);
    auto prepared = _decoder.prepare(plugins, std::span<const InboxItem>(&item, 1));
    auto session = _database.session();
    Transaction tx(*session, _database.dialect());
    if (!_store.lockReleased(*session, _consumer, parked.key) ||
        !_store.parkedExists(*session, parked.id))
        return;
    _store.removeParked(*session, parked.id);
    fail(*session, prepared.front(), FailureClassifier::ofLostStatement(error));
    tx.commit();
}

bool SequenceReleaser::fail(Poco::Data::Session& session, PreparedMessage& p,
                            const Failure& failure) {
    // Its dedup row was written when it parked; it was not processed after all, and with the
    // row its retry (or an operator's failed:retry) would pass for a duplicate and never run.
    if (p.message)
        _dedup.remove(session, p.message->id(), _consumer);
    _recorder.record(session, p, failure);
    Metrics::add(p.result == ProcessResult::Retry ? _metrics.retried : _metrics.failed);
    _log.warning("consumer %s: parked message %s failed on release (%s); it is its key's head now",
                 _consumer, p.id() ? p.id()->toString() : std::string("<no id>"), p.error);
    if (!p.message || !p.message->partitionKey())
        return false;
    // Under the sequence's lock, with its head resolved: p takes the released head's place.
    _parking.failed(session, p, true);
    return true;
}

} // namespace msgbus::core
