// InboxLane's outage hold: how a batch is held through a database outage instead of being
// given back, and how the hold ends (see OutageHold).
#include "core/inbox/InboxLane.h"

#include <algorithm>

namespace msgbus::core {

std::optional<amqp::Delivery> InboxLane::nextDelivery(std::chrono::milliseconds timeout,
                                                      bool untilIdle) {
    while (!_arrived.empty()) {
        amqp::Delivery delivery = std::move(_arrived.front());
        _arrived.pop_front();
        // One of an older connection is back in the queue already: its tag is void.
        if (delivery.connectionEpoch == _consumer.epoch())
            return delivery;
    }
    return _consumer.next(timeout, untilIdle);
}

void InboxLane::holdBatch(const Batch& batch, const std::string& error) {
    auto oldest = std::chrono::steady_clock::time_point::max();
    for (const auto& d : batch.deliveries)
        oldest = std::min(oldest, d.receivedAt);
    _hold.begin(batch.deliveries.size() + _arrived.size(), oldest, error);
}

std::optional<std::vector<ProcessResult>>
InboxLane::processHolding(StopToken& stop, Batch& batch,
                          std::shared_ptr<const PluginSet>& plugins) {
    for (;;) {
        // A fresh snapshot each time: a reload during a long hold applies to the held batch.
        plugins = _plugins.current();
        if (auto results = process(*plugins, batch)) {
            _hold.end("the database answers again: they ran");
            return results;
        }
        if (batch.brokerError) {
            // The connection broke while the batch was gathered: the broker has it back.
            holdEnded(OutageHold::End::BrokerLost, batch, batch.brokerError);
            return std::nullopt;
        }
        std::exception_ptr brokerError;
        const OutageHold::End end = _hold.wait(stop, _arrived, brokerError);
        if (end != OutageHold::End::DatabaseAnswers) {
            holdEnded(end, batch, brokerError);
            return std::nullopt;
        }
        // The runs of its redelivered messages could not be read while the database was away:
        // a message that killed its host must still run alone, and be told it is a rerun.
        if (!batch.deathsKnown)
            planRuns(batch);
    }
}

void InboxLane::holdEnded(OutageHold::End end, Batch& batch, std::exception_ptr brokerError) {
    batch.unsettled = false;
    // Whatever ends the hold, it is no message's fault: none of these returns counts.
    for (const auto& d : batch.deliveries)
        _redeliveries.gaveBack(d, "the database was away", true);
    for (const auto& d : _arrived) {
        // Never arranged, so never counted: count this sighting before excusing it, or the
        // excuse would cancel a give-back that was its own fault.
        _redeliveries.redeliveries(d);
        _redeliveries.gaveBack(d, "the database was away", true);
    }
    if (end == OutageHold::End::BrokerLost) {
        _arrived.clear();
        batch.brokerError = brokerError;
        _hold.end("the broker connection was lost: the broker has them back");
        return;
    }
    // Once, all of them: the held batch and what arrived after it.
    std::vector<std::uint64_t> tags = tagsOf(batch.deliveries);
    for (const auto& d : _arrived)
        if (d.connectionEpoch == batch.lastEpoch)
            tags.push_back(d.deliveryTag);
    _arrived.clear();
    try {
        _consumer.nack(std::move(tags), true, batch.lastEpoch);
    } catch (const std::exception&) {
        batch.brokerError = std::current_exception();
    }
    _hold.end(end == OutageHold::End::StopRequested
                  ? "stopping: they go back to the broker"
                  : "held for inbox.max_hold_ms: they go back to the broker once");
}

} // namespace msgbus::core
