#include "core/inbox/InboxLane.h"

#include "core/db/DbErrors.h"
#include "core/inbox/BatchPlan.h"
#include "core/inbox/ConsumerPump.h"
#include "core/inbox/FailureClassifier.h"
#include "core/util/Backoff.h"
#include "core/util/ErrorText.h"

#include <algorithm>
#include <thread>
#include <utility>

namespace msgbus::core {

InboxLane::InboxLane(Database& database, PluginRegistry& plugins,
                     const InboxWorkerSettings& settings, Metrics& metrics,
                     std::function<void()> onOutboxWrite, LaneDeliveries& deliveries,
                     RedeliveryTracker& redeliveries, const std::string& name)
    : _settings(settings), _consumerSettings(_settings.consumer), _database(database),
      _plugins(plugins), _metrics(metrics),
      _processor(database, settings.pipeline, metrics, settings.consumer.name,
                 std::move(onOutboxWrite)),
      _consumer(deliveries), _hold(database, deliveries, metrics, name, settings.inbox.maxHold),
      _redeliveries(redeliveries),
      _runs(database.dialect(), settings.pipeline.dedupTable, settings.consumer.name),
      _redeliveryLimit(settings.inbox.maxRedeliveries, settings.queueDeliveryLimit),
      _log(Poco::Logger::get("msgbus.inbox")), _conflicts(metrics, settings.consumer.name, _log) {}

std::size_t InboxLane::receive(Batch& batch, DeliveryBudget& budget) {
    if (!_consumer.isConnected())
        _consumer.connect();
    _consumer.open(true);
    auto first = nextDelivery(std::chrono::milliseconds(200));
    if (!first)
        return 0;
    const std::size_t want = budget.take(static_cast<std::size_t>(_settings.inbox.batchSize));
    if (want == 0) {
        // The lanes of a limited run reserved the rest: keep it for when they put some back
        // (waiting for that, the lane takes nothing: closed).
        _arrived.push_front(std::move(*first));
        _consumer.open(false);
        return 0;
    }
    batch.deliveries.clear();
    batch.deliveries.push_back(std::move(*first));
    batch.brokerError = nullptr;
    gather(batch.deliveries, want, batch.brokerError);
    batch.unsettled = true;
    batch.lastEpoch = batch.deliveries.back().connectionEpoch;
    return want;
}

void InboxLane::gather(std::vector<amqp::Delivery>& deliveries, std::size_t want,
                       std::exception_ptr& brokerError) {
    // What is already here, up to want, waiting at most inbox.batch_wait_ms for more, and only
    // while the broker is still sending: once the pump finds the socket empty, the batch closes
    // (a lone message does not wait out the batch wait). One commit then covers all of them.
    const auto deadline = std::chrono::steady_clock::now() + _settings.inbox.batchWait;
    try {
        while (deliveries.size() < want) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            auto next = nextDelivery(std::max(left, std::chrono::milliseconds(0)), true);
            if (!next)
                break;
            deliveries.push_back(std::move(*next));
        }
    } catch (...) {
        // The connection broke while gathering: still settle what we hold (its acks are void
        // now; the broker redelivers and the dedup rows catch it).
        brokerError = std::current_exception();
    }
    _consumer.open(false);
}

void InboxLane::runsFailed(const char* what, const std::exception& e) {
    // Counting runs is a guard, never a gate: without it the batch still runs, only a message
    // that kills its host would not be stopped. Said once until it works again, and not at all
    // when the database is away: the outage hold says that, and no upgrade is missing.
    if (_runsWorking && !FailureClassifier::isDatabaseGone(e))
        _log.warning("consumer %s: cannot %s the handler runs of redelivered messages in %s "
                     "(run `msgbus setup` after an upgrade): %s",
                     _consumerSettings.name, std::string(what), _runs.table(), errorText(e));
    _runsWorking = false;
}

std::vector<int> InboxLane::hostDeaths(const std::vector<amqp::Delivery>& deliveries,
                                       std::vector<std::string>& keys, bool& known) {
    known = true;
    std::vector<int> deaths(deliveries.size(), 0);
    keys.assign(deliveries.size(), std::string());
    std::vector<std::string> redelivered;
    for (std::size_t i = 0; i < deliveries.size(); ++i) {
        if (!deliveries[i].redelivered)
            continue;
        keys[i] = UnfinishedRuns::keyOf(RedeliveryTracker::identityOf(deliveries[i]));
        redelivered.push_back(keys[i]);
    }
    if (redelivered.empty())
        return deaths;
    try {
        auto session = _database.session();
        const auto runs = _runs.count(*session, redelivered);
        for (std::size_t i = 0; i < deliveries.size(); ++i)
            if (auto it = runs.find(keys[i]); !keys[i].empty() && it != runs.end())
                deaths[i] = std::max(0, it->second - _redeliveries.runsLeftBehind(deliveries[i]) -
                                            _redeliveries.runsInFlight(deliveries[i]));
    } catch (const std::exception& e) {
        known = false;
        runsFailed("read", e);
    }
    return deaths;
}

bool InboxLane::beginRuns(const std::vector<std::string>& keys) {
    if (keys.empty())
        return false;
    try {
        auto session = _database.session();
        _runs.begin(*session, keys);
        _runsWorking = true;
        return true;
    } catch (const std::exception& e) {
        runsFailed("record", e);
        return false;
    }
}

void InboxLane::endRuns(std::span<const amqp::Delivery> deliveries,
                        std::span<const std::string> keys, std::span<const ProcessResult> results) {
    std::vector<std::string> settled, abandoned;
    for (std::size_t i = 0; i < deliveries.size(); ++i) {
        if (keys[i].empty())
            continue;
        (results.empty() || isGivenBack(results[i]) ? abandoned : settled).push_back(keys[i]);
    }
    if (settled.empty() && abandoned.empty())
        return;
    try {
        auto session = _database.session();
        _runs.finish(*session, settled);
        _runs.abandon(*session, abandoned);
    } catch (const std::exception& e) {
        // A settled message's row is left over: harmless, it never comes back (cleanup:dedup
        // removes it). A given-back one must not read as its host's death.
        for (std::size_t i = 0; i < deliveries.size(); ++i)
            if (!keys[i].empty() && (results.empty() || isGivenBack(results[i])))
                _redeliveries.runLeftBehind(deliveries[i]);
        runsFailed("remove", e);
    }
}

void InboxLane::runPart(const PluginSet& plugins, std::span<const amqp::Delivery> deliveries,
                        std::span<const std::string> keys, std::span<const InboxItem> items,
                        std::span<ProcessResult> results) {
    std::vector<std::string> begun;
    for (const auto& key : keys)
        if (!key.empty())
            begun.push_back(key);
    // Runs that were not recorded are not ended either: taking back a run never begun would
    // erase an earlier host's death.
    const bool recorded = beginRuns(begun);
    // Known to the other lanes while it runs (see RedeliveryTracker::runBegan).
    auto inFlight = [&](void (RedeliveryTracker::*mark)(const amqp::Delivery&)) {
        for (std::size_t i = 0; recorded && i < deliveries.size(); ++i)
            if (!keys[i].empty())
                (_redeliveries.*mark)(deliveries[i]);
    };
    inFlight(&RedeliveryTracker::runBegan);
    std::vector<ProcessResult> outcome;
    try {
        outcome = _processor.processBatch(plugins, items);
    } catch (...) {
        if (recorded)
            endRuns(deliveries, keys, {});
        inFlight(&RedeliveryTracker::runEnded);
        throw;
    }
    if (recorded)
        endRuns(deliveries, keys, outcome);
    inFlight(&RedeliveryTracker::runEnded);
    std::copy(outcome.begin(), outcome.end(), results.begin());
}

void InboxLane::arrange(Batch& batch) {
    // Counted once per delivery received: planning the batch again must not count it again.
    batch.tracked.clear();
    for (const auto& d : batch.deliveries)
        batch.tracked.push_back(_redeliveries.redeliveries(d));
    planRuns(batch);
}

void InboxLane::planRuns(Batch& batch) {
    // A message whose earlier run never ended killed its host, or died with the one that did:
    // such messages run last, each alone, those that died least often first, so that the
    // neighbours of a killer go through before it runs again.
    std::vector<int> deaths = hostDeaths(batch.deliveries, batch.keys, batch.deathsKnown);
    const BatchPlan plan = BatchPlan::byHostDeaths(deaths);
    if (plan.reorders()) {
        plan.arrange(batch.deliveries);
        plan.arrange(deaths);
        plan.arrange(batch.keys);
        plan.arrange(batch.tracked);
    }
    batch.together = plan.together();
    batch.items.clear();
    for (std::size_t i = 0; i < batch.deliveries.size(); ++i) {
        const auto& d = batch.deliveries[i];
        InboxItem item{&d.wire, 1, 0};
        item.decodeError = d.decodeError;
        item.firstDelivery = !d.redelivered;
        const int tracked = batch.tracked[i];
        // Only a delivery that counts as redelivered carries a last error: spare the lookup.
        const std::string trackedError =
            tracked > 0 || deaths[i] > 0 ? _redeliveries.lastError(d) : std::string();
        _redeliveryLimit.count(item, d, tracked, trackedError, deaths[i]);
        batch.items.push_back(std::move(item));
    }
}

void InboxLane::runParts(const PluginSet& plugins, const Batch& batch,
                         std::span<ProcessResult> out) {
    const std::span<const amqp::Delivery> all(batch.deliveries);
    const std::span<const std::string> keys(batch.keys);
    const std::span<const InboxItem> items(batch.items);
    const std::size_t n = batch.together;
    if (n > 0)
        runPart(plugins, all.first(n), keys.first(n), items.first(n), out.first(n));
    for (std::size_t i = n; i < all.size(); ++i) {
        _log.warning("consumer %s: a host stopped while running message %s; it runs alone",
                     _consumerSettings.name, RedeliveryTracker::identityOf(all[i]));
        runPart(plugins, all.subspan(i, 1), keys.subspan(i, 1), items.subspan(i, 1),
                out.subspan(i, 1));
    }
}

void InboxLane::runPartsRetryingConflicts(const PluginSet& plugins, const Batch& batch,
                                          std::span<ProcessResult> out) {
    // The lanes of a consumer, like several hosts, may take the same rows' locks in other
    // orders. A lost deadlock or lock wait committed nothing of its part and is nobody's
    // fault: run the batch again at once (an earlier part's outcomes read as duplicates),
    // after a random pause that parts the contenders; only a conflict that keeps coming back
    // holds the batch as an outage would.
    for (int conflicts = 0;; ++conflicts) {
        try {
            runParts(plugins, batch, out);
            return;
        } catch (const BatchAborted&) {
            throw;
        } catch (const std::exception& e) {
            if (!isLockConflict(e) || conflicts >= kConflictRetries)
                throw;
            _conflicts.rerun(conflicts + 1, errorText(e));
            std::uniform_int_distribution<int> pause(1, 10 * (conflicts + 1));
            std::this_thread::sleep_for(std::chrono::milliseconds(pause(_jitter)));
        }
    }
}

std::optional<std::vector<ProcessResult>> InboxLane::process(const PluginSet& plugins,
                                                             Batch& batch) {
    const auto started = std::chrono::steady_clock::now();
    std::vector<ProcessResult> results(batch.deliveries.size(), ProcessResult::Handled);
    try {
        runPartsRetryingConflicts(plugins, batch, results);
        _metrics.databaseOk();
        _metrics.handlerDuration.observe(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                .count());
    } catch (const BatchAborted& e) {
        // The connection died under one message's handler. If the database is gone, that is
        // an outage, no message's doing: hold the batch.
        if (!_database.isReachable()) {
            holdBatch(batch, errorText(e));
            return std::nullopt;
        }
        // It answers: the handler's statement was killed or outlived db.io_timeout_ms.
        // Nothing was committed of that part; that message's redelivery counts, the others'
        // do not.
        for (std::size_t i = 0; i < batch.deliveries.size(); ++i)
            _redeliveries.gaveBack(batch.deliveries[i], errorText(e),
                                   &batch.items[i] != e.suspect());
        _consumer.nack(tagsOf(batch.deliveries), true, batch.lastEpoch);
        batch.unsettled = false;
        _hold.end("a handler's statement died while the database answers: given back");
        throw;
    } catch (const std::exception& e) {
        // Nothing was committed of that part and no message is to blame (the database is
        // gone, refuses every write, or lock conflicts keep coming back): hold the batch and
        // run it again (what an earlier part committed then reads as duplicates).
        holdBatch(batch, errorText(e));
        return std::nullopt;
    }
    // The database went away in the middle (runAlone): run it all again once it answers.
    if (std::any_of(results.begin(), results.end(),
                    [](ProcessResult r) { return r == ProcessResult::Requeue; })) {
        holdBatch(batch, "the database went away in the middle of the batch");
        return std::nullopt;
    }
    return results;
}

std::vector<std::uint64_t> InboxLane::tagsOf(const std::vector<amqp::Delivery>& deliveries) {
    std::vector<std::uint64_t> tags;
    tags.reserve(deliveries.size());
    for (const auto& d : deliveries)
        tags.push_back(d.deliveryTag);
    return tags;
}

void InboxLane::giveBackUnsettled(Batch& batch, const std::string& error) {
    if (!batch.unsettled)
        return;
    batch.unsettled = false;
    for (const auto& d : batch.deliveries)
        _redeliveries.gaveBack(d, error, false);
    _consumer.nack(tagsOf(batch.deliveries), true, batch.lastEpoch);
}

bool InboxLane::settle(const Batch& batch, const std::vector<ProcessResult>& results) {
    // Acks only after the commit: one per batch, unless some could not be settled.
    if (std::none_of(results.begin(), results.end(), isGivenBack)) {
        _consumer.ack(tagsOf(batch.deliveries), batch.lastEpoch);
        for (const auto& d : batch.deliveries)
            _redeliveries.settled(d);
        return true;
    }
    for (std::size_t i = 0; i < batch.deliveries.size(); ++i) {
        const auto& d = batch.deliveries[i];
        if (isGivenBack(results[i])) {
            _redeliveries.gaveBack(d, "it could be neither processed nor stored",
                                   results[i] == ProcessResult::Requeue);
            _consumer.nack({d.deliveryTag}, true, d.connectionEpoch);
        } else {
            _redeliveries.settled(d);
            _consumer.ack({d.deliveryTag}, d.connectionEpoch);
        }
    }
    return false;
}

void InboxLane::run(StopToken& stop, DeliveryBudget& budget) {
    Backoff backoff = Backoff::forOutage();
    int failures = 0;
    Batch batch;
    while (!stop.stopRequested() && !budget.exhausted()) {
        // Outside the try: an exception object thrown from plugin code must be destroyed while
        // the snapshot still keeps that plugin's library mapped.
        std::shared_ptr<const PluginSet> plugins;
        std::size_t reserved = 0;
        try {
            reserved = receive(batch, budget);
            if (reserved == 0) {
                // Another lane reserved the rest of a limited run: wait until it puts some
                // back or reaches the limit (a stop ends the wait too).
                if (!_arrived.empty())
                    budget.waitForRoom(stop.token(), std::chrono::seconds(1));
                continue;
            }
            arrange(batch);
            const auto results = processHolding(stop, batch, plugins);
            const bool allSettled = results && settle(batch, *results);
            if (results)
                batch.unsettled = false;
            budget.spent(std::exchange(reserved, 0), results ? batch.deliveries.size() : 0);
            failures = allSettled ? 0 : failures + 1;
            if (batch.brokerError)
                std::rethrow_exception(batch.brokerError);
            if (results && !allSettled)
                stop.sleepFor(backoff.delay(failures));
        } catch (const BrokerConnectionLost&) {
            // The pump logs why and reconnects; this lane takes the next connection. What it
            // held is the broker's again.
            batch.unsettled = false;
            budget.spent(reserved, 0);
        } catch (const std::exception& e) {
            // Never left unsettled: a later ack must not be the only thing that ends it.
            giveBackUnsettled(batch, errorText(e));
            budget.spent(reserved, 0);
            ++failures;
            auto delay = backoff.delay(failures);
            _log.warning("consumer %s: %s (retrying in %sms)", _consumerSettings.name, errorText(e),
                         std::to_string(delay.count()));
            stop.sleepFor(delay);
        }
    }
}

} // namespace msgbus::core
