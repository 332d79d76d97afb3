#include "core/inbox/SequenceReleaser.h"

#include "core/db/Transaction.h"
#include "core/failed/StoredEnvelope.h"
#include "core/inbox/FailureClassifier.h"
#include "core/util/ErrorText.h"

namespace msgbus::core {
namespace {

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
    for (const auto& key : keys)
        while (!stop.stopRequested() && releaseSome(plugins, key, settled)) {
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
        // Fails when the transaction itself is gone (deadlock, lost connection): then nothing
        // of it commits and the release runs again.
        sp.rollbackTo(kSavepoint);
        return !fail(session, p, failure);
    }
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
    _parking.failed(session, p);
    return true;
}

} // namespace msgbus::core
