#include "core/outbox/OutboxRelay.h"
#include "core/outbox/OutboxRowEncoding.h"
#include "core/util/ErrorText.h"

#include "core/db/DbErrors.h"
#include "core/db/Transaction.h"
#include "core/outbox/BatchOutcomes.h"
#include "core/outbox/OrderedHoldBack.h"
#include "core/outbox/RefusedRows.h"
#include "core/util/Clock.h"

#include <msgbus/Error.h>

#include <Poco/Exception.h>

#include <algorithm>
#include <set>

namespace msgbus::core {
namespace {

amqp::AmqpPublisher::Options publisherOptions(const RelaySettings& settings, int index) {
    amqp::AmqpPublisher::Options options;
    options.connection.heartbeatSeconds = settings.amqp.heartbeatSeconds;
    options.connection.connectionName = "msgbus relay " + std::to_string(index);
    options.confirmWindow = static_cast<std::size_t>(settings.outbox.confirmWindow);
    return options;
}

// One relay per SQLite file is enforced by a lock on the file: without its path, none is held.
const std::string& requireSqliteFile(const RelaySettings& settings) {
    if (settings.sqliteFile.empty())
        throw InvalidArgument("outbox relay on SQLite without the database file to lock");
    return settings.sqliteFile;
}

} // namespace

OutboxRelay::OutboxRelay(Database& database, PluginRegistry& plugins, const RelaySettings& settings,
                         Metrics& metrics, int index)
    : _database(database), _plugins(plugins), _settings(settings), _metrics(metrics),
      _store(database.dialect(), settings.outbox.table, settings.outbox.maxBodyBytes),
      _publisher(amqp::AmqpNodes::parse(settings.amqp.url), publisherOptions(settings, index)),
      _refused(_publisher, plugins, settings.outbox.confirmTimeout, settings.outbox.ordered),
      _settler(database.dialect(), _settings.outbox, _settings.failedTable, _store),
      _outageBackoff(Backoff::forOutage()), _log(Poco::Logger::get("msgbus.relay")),
      _pipelineDepth(settings.outbox.ordered ? 1 : 2),
      _workerName("relay " + std::to_string(index)), _dueTime(database, settings.outbox.table) {
    if (database.dialect() == Dialect::SQLite)
        _sqliteLock.emplace(requireSqliteFile(settings));
    if (settings.outbox.ordered) {
        const int workers =
            database.dialect() == Dialect::SQLite ? 1 : std::max(1, settings.outbox.workers);
        _lanes.emplace(database, settings.outbox.table, settings.outbox.lanes, index, workers);
    }
}

OutboxRelay::~OutboxRelay() {
    drain();
}

void OutboxRelay::noteNode() {
    // Once per connection and once per loss, not per batch: the lock and the string are for
    // /ready only.
    const bool connected = _publisher.isConnected();
    if (_publisher.connectCount() == _nodeNotedFor && connected == _nodeNotedConnected)
        return;
    _nodeNotedFor = _publisher.connectCount();
    _nodeNotedConnected = connected;
    _metrics.brokerNodes.set(_workerName, connected ? _publisher.endpoint() : std::string());
}

void OutboxRelay::run(StopToken& stop, RelayWakeup& wakeup) {
    using SteadyClock = std::chrono::steady_clock;
    int outage = 0;
    // While a stream is flowing (rows were found within the last poll interval), an empty
    // outbox is polled ten times as often: a producer committing every few milliseconds then
    // waits a few milliseconds, not a whole interval. Once the stream pauses for a full
    // interval, the relay falls back to the plain interval (cheap when idle).
    const auto pollInterval = _settings.outbox.pollInterval;
    const auto streamPoll = std::max(std::chrono::milliseconds(1), pollInterval / 10);
    auto lastRows = SteadyClock::now() - pollInterval;
    const RelayWakeup::Subscription rings(wakeup, _rung);
    while (!stop.stopRequested()) {
        // Read before the poll: a wake() during the poll or keepAlive() ends the next sleep.
        const std::uint64_t wakeups = wakeup.epoch();
        bool idle = false;
        try {
            idle = !step();
            outage = 0;
            noteNode();
        } catch (...) {
            // Settle what is in flight before backing off: its row locks must not outlive the
            // failure, and its confirmed rows can still be deleted. (Plugin code can throw
            // anything; the relay thread survives it all.)
            drain();
            ++outage;
            noteNode();
            auto delay = _outageBackoff.delay(outage);
            _log.warning("relay batch failed (retrying in %sms): %s", std::to_string(delay.count()),
                         currentErrorText());
            stop.sleepFor(delay);
            continue;
        }
        // Sleep only when the outbox had nothing due and nothing is in flight: after rows were
        // found, more may have arrived while they were published, so claim again at once (the
        // latency of a steady stream is one batch, not a poll interval).
        const auto now = SteadyClock::now();
        if (!idle) {
            lastRows = now;
            continue;
        }
        _publisher.keepAlive();
        if (_publisher.isConnected())
            _metrics.brokerOk();
        noteNode();
        wakeup.sleepFor(
            stop, _dueTime.sleepBefore(now - lastRows < pollInterval ? streamPoll : pollInterval),
            wakeups);
    }
    drain();
}

bool OutboxRelay::step() {
    // Keep the pipeline full while the outbox has full batches waiting; otherwise settle the
    // oldest batch before claiming again.
    if (_inFlight.size() < _pipelineDepth) {
        // This claim sees every row committed before the rings so far (a producer rings after
        // its commit): forget them.
        _rung.drain();
        auto batch = claim(!_inFlight.empty());
        if (batch) {
            const bool full =
                batch->rows.size() >= static_cast<std::size_t>(_settings.outbox.batchSize);
            encodeAndSubmit(*batch);
            _inFlight.push_back(std::move(*batch));
            if (full && _inFlight.size() < _pipelineDepth)
                return true;
        } else if (_inFlight.empty()) {
            return false;
        }
    }
    // Rows committed while the oldest batch's confirms are outstanding (a ring) are claimed and
    // published at once when the pipeline has room, instead of after that confirm.
    const auto& publishId = _inFlight.front().publishId;
    if (_inFlight.size() < _pipelineDepth && publishId &&
        !_publisher.awaitOrWake(*publishId, _rung.fd()))
        return true;
    PendingBatch oldest = std::move(_inFlight.front());
    _inFlight.pop_front();
    finish(oldest);
    return true;
}

int OutboxRelay::relayBatch() {
    auto batch = claim(false);
    if (!batch)
        return 0;
    encodeAndSubmit(*batch);
    finish(*batch);
    return static_cast<int>(batch->rows.size());
}

std::vector<std::int64_t> OutboxRelay::inFlightSeqs() const {
    std::vector<std::int64_t> seqs;
    for (const auto& batch : _inFlight)
        for (const auto& row : batch.rows)
            seqs.push_back(row.seq);
    return seqs;
}

std::optional<OutboxRelay::PendingBatch> OutboxRelay::claim(bool pipelined) {
    if (_sqliteLock && !_sqliteLock->acquire()) {
        if (!_standbyLogged)
            _log.information("another relay owns this SQLite database; standing by");
        _standbyLogged = true;
        return std::nullopt;
    }
    PendingBatch batch;
    if (pipelined) {
        // Never block on a second session while holding one: with every session out, settle
        // the batch in flight first.
        auto free = _database.trySession();
        if (!free)
            return std::nullopt;
        batch.session.emplace(std::move(*free));
    } else {
        batch.session.emplace(_database.session());
    }
    auto& session = **batch.session;
    _settler.lookForDeliveredTable(session);
    const bool mysql = _database.dialect() == Dialect::MySQL;
    // Plain claims begin their transaction with their first query (one round trip less on
    // every batch's way to the broker); ordered claims read more first and begin on their own.
    if (mysql && !_lanes)
        batch.claim = std::make_unique<Transaction>(session, Transaction::BeginsWithNextQuery{});
    else if (mysql)
        batch.claim = std::make_unique<Transaction>(session, Dialect::MySQL);
    if (_lanes) {
        _lanes->refresh();
        batch.rows = _store.claimOrdered(session, _settings.outbox.batchSize, nowMillis(),
                                         _lanes->lanes(), _lanes->owned(), _lanes->ownsAll());
    } else {
        batch.rows = _store.claimDue(session, _settings.outbox.batchSize, nowMillis(),
                                     inFlightSeqs(), mysql);
    }
    _metrics.databaseOk();
    if (batch.rows.empty()) {
        if (batch.claim)
            batch.claim->commit();
        return std::nullopt;
    }
    return batch;
}

void OutboxRelay::encodeAndSubmit(PendingBatch& batch) {
    auto plugins = _plugins.current();
    if (!plugins || !plugins->serializer || !plugins->routing)
        throw Error("relay: no serializer or routing plugin is loaded");

    const auto& rows = batch.rows;
    std::vector<amqp::OutgoingMessage> outgoing;
    outgoing.reserve(rows.size());
    batch.routes.resize(rows.size());
    // Ordered lanes: a key whose row cannot be encoded or routed sends none of its later rows
    // in this batch (they wait, unpublished, behind it).
    std::set<std::string> heldKeys;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& row = rows[i];
        if (_lanes && row.partitionKey && heldKeys.count(*row.partitionKey))
            continue;
        const std::size_t failuresBefore = batch.failures.size();
        if (row.readError) {
            batch.failures.push_back({i, *row.readError, true});
            if (_lanes && row.partitionKey)
                heldKeys.insert(*row.partitionKey);
            continue;
        }
        if (auto message =
                encodeRow(row, i, *plugins->serializer, *plugins->routing, batch.failures)) {
            if (_settings.outbox.keepDelivered)
                batch.routes[i] = {row.seq, message->exchange, message->routingKey};
            if (_metrics.spans)
                batch.spans.start(row, i, *message);
            outgoing.push_back(std::move(*message));
        }
        if (_lanes && row.partitionKey && batch.failures.size() != failuresBefore)
            heldKeys.insert(*row.partitionKey);
    }
    batch.published = outgoing.size();
    if (!outgoing.empty())
        batch.publishId = _publisher.submit(std::move(outgoing), _settings.outbox.confirmTimeout);
}

void OutboxRelay::finish(PendingBatch& batch) {
    const auto& rows = batch.rows;
    auto& failures = batch.failures;
    std::vector<amqp::PublishOutcome> outcomes;
    if (batch.publishId) {
        outcomes = _publisher.await(*batch.publishId);
        batch.publishId.reset();
    } else if (batch.outcomes) {
        outcomes = std::move(*batch.outcomes);
        batch.outcomes.reset();
    }
    if (batch.published > 0)
        Metrics::add(_metrics.published, batch.published);
    BatchOutcomes sorted = sortOutcomes(rows, outcomes);
    failures.insert(failures.end(), sorted.failures.begin(), sorted.failures.end());
    auto& confirmed = sorted.confirmed;
    bool transient = sorted.transient;
    if (!sorted.suspects.empty() && !isolateRefused(batch, sorted.suspects, confirmed, failures))
        transient = true;

    if (_lanes)
        holdBackBehindFailures(rows, confirmed, failures);

    auto& session = **batch.session;
    try {
        if (batch.claim) {
            _settler.settleAndCommit(session, *batch.claim, rows, batch.routes, confirmed,
                                     failures);
        } else {
            Transaction tx(session, _database.dialect());
            _settler.settleAndCommit(session, tx, rows, batch.routes, confirmed, failures);
        }
    } catch (const std::exception& e) {
        // The broker has confirmed these rows: a deadlock or lock timeout here must not send
        // them out again. Settle them in a transaction of their own (the claim's locks are
        // gone, so a row another relay deleted meanwhile simply is not there any more).
        if (!isLockConflict(e))
            throw;
        batch.claim.reset();
        settleAgain(session, batch, confirmed, failures, errorText(e));
    }
    batch.claim.reset();
    batch.session.reset();
    reportSettled(batch, confirmed);
    if (batch.published > 0 && !transient)
        _metrics.brokerOk();
    if (transient)
        throw Error("relay: some messages were not confirmed by the broker; they stay in the "
                    "outbox and are published again");
}

void OutboxRelay::drain() noexcept {
    while (!_inFlight.empty()) {
        PendingBatch oldest = std::move(_inFlight.front());
        _inFlight.pop_front();
        try {
            finish(oldest);
        } catch (const std::exception& e) {
            _log.warning("relay: a batch in flight was not fully settled (its rows stay and are "
                         "published again): %s",
                         errorText(e));
        } catch (...) {
            _log.warning("relay: a batch in flight was not fully settled (its rows stay)");
        }
        if (oldest.publishId) {
            // finish() failed before collecting the outcomes: collect them, or the publisher
            // would keep the batch for ever.
            try {
                _publisher.await(*oldest.publishId);
            } catch (...) {
            }
        }
    }
}

void OutboxRelay::reportSettled(PendingBatch& batch, const std::vector<std::int64_t>& confirmed) {
    // After the commit only: a settle that is rolled back and run again must not count twice.
    Metrics::add(_metrics.failed, _settler.report());
    if (_metrics.spans)
        for (auto& span : batch.spans.finish(batch.rows, confirmed))
            _metrics.spans->record(std::move(span));
    Metrics::add(_metrics.confirmed, confirmed.size());
    const std::int64_t settledAt = nowMillis();
    const std::set<std::int64_t> done(confirmed.begin(), confirmed.end());
    for (const auto& row : batch.rows)
        if (done.count(row.seq))
            _metrics.relayLatency.observe(static_cast<double>(settledAt - row.createdAt));
    _metrics.databaseOk();
}

bool OutboxRelay::isolateRefused(const PendingBatch& batch,
                                 const std::vector<std::size_t>& suspects,
                                 std::vector<std::int64_t>& confirmed,
                                 std::vector<RowFailure>& failures) {
    _log.warning("relay: the broker closed the channel under %z unconfirmed messages; publishing "
                 "them one by one to find the one it refuses",
                 suspects.size());
    // Nothing else may be unconfirmed on the channel meanwhile, or a refusal of another batch's
    // message would be blamed on the suspect: collect the other batches' outcomes first.
    for (auto& other : _inFlight) {
        if (other.publishId) {
            other.outcomes = _publisher.await(*other.publishId);
            other.publishId.reset();
        }
    }
    return _refused.isolate(batch.rows, suspects, confirmed, failures);
}

void OutboxRelay::settleAgain(Poco::Data::Session& session, const PendingBatch& batch,
                              const std::vector<std::int64_t>& confirmed,
                              const std::vector<RowFailure>& failures, const std::string& why) {
    // On the batch's own session: waiting for a second one while holding it could wait for
    // ever (db.pool.max = 1, or every session held by a relay doing the same).
    for (int attempt = 1;; ++attempt) {
        try {
            Transaction tx(session, _database.dialect());
            _settler.settleAndCommit(session, tx, batch.rows, batch.routes, confirmed, failures);
            _log.information("relay: settled a confirmed batch again after: %s", why);
            return;
        } catch (const std::exception& e) {
            if (!isLockConflict(e) || attempt >= 5)
                throw;
        }
    }
}

} // namespace msgbus::core
