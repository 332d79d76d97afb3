#include "core/inbox/ConsumerPump.h"

#include "core/util/Backoff.h"
#include "core/util/ErrorText.h"

#include <algorithm>

namespace msgbus::core {
namespace {

/// The longest the pump waits for the broker when nothing happens: how soon it notices a stop.
constexpr std::chrono::milliseconds kWait{100};
/// How long the socket must stay empty before a gathering lane closes its batch: the broker
/// hands a publish burst over in clumps whose messages come a few microseconds apart, and a
/// batch of one message each would cost a commit each. With several lanes the gap is short:
/// what comes after a batch closed need not wait for it, it goes to an open lane (LaneRouter;
/// at 1,000 msg/s in bursts of 10, a batch's gathering took 0.35 ms at the median with 200 µs,
/// 0.16 ms with 50). With one lane, what comes next waits for the batch, so it waits longer
/// for a clump's stragglers.
constexpr std::chrono::microseconds kQuietGap{50};
constexpr std::chrono::microseconds kQuietGapOneLane{200};

} // namespace

ConsumerPump::ConsumerPump(amqp::AmqpNodes nodes, amqp::AmqpConsumer::Options options,
                           unsigned lanes, std::size_t chunk, Metrics& metrics,
                           std::string consumerName)
    : _consumer(std::move(nodes), std::move(options)), _metrics(metrics),
      _name(std::move(consumerName)), _log(Poco::Logger::get("msgbus.inbox")),
      _router(lanes, chunk), _queues(_router.lanes()), _arrivals(_router.lanes()),
      _open(_router.lanes(), 0), _quietGap(_router.lanes() > 1 ? kQuietGap : kQuietGapOneLane) {}

void ConsumerPump::run(StopToken& stop) {
    Backoff backoff = Backoff::forOutage();
    int failures = 0;
    while (!stop.stopRequested()) {
        try {
            if (!_consumer.isConnected())
                connect();
            _wake.drain();
            flush();
            // A lane's settle() ends the wait at once: its acks go out without delay.
            auto delivery =
                _consumer.nextOrWake(kWait, _wake.fd(), [this](bool idle) { waiting(idle); });
            _metrics.brokerOk();
            if (delivery)
                route(std::move(*delivery));
            failures = 0;
        } catch (const std::exception& e) {
            // Whatever broke (the connection, or memory for a delivery it had read), the
            // deliveries it holds are the broker's again and the next turn connects afresh.
            _consumer.close();
            lost();
            const auto delay = backoff.delay(++failures);
            _log.warning("consumer %s: %s (retrying in %sms)", _name, errorText(e),
                         std::to_string(delay.count()));
            stop.sleepFor(delay);
        }
    }
    try {
        if (_consumer.isConnected())
            flush();
    } catch (const std::exception& e) {
        _log.warning("consumer %s: the last acks could not be sent (%s): the broker delivers "
                     "those messages again and the inbox finds them done",
                     _name, errorText(e));
    }
    _consumer.close();
    lost();
}

void ConsumerPump::connect() {
    _metrics.brokerNodes.set("consumer " + _name, "");
    _consumer.connect();
    _ledger.reset();
    {
        std::lock_guard lock(_mutex);
        // Deliveries of the broken connection are the broker's again.
        for (auto& queue : _queues)
            queue.clear();
        _settlements.clear();
        _idle = false;
        _epoch = _consumer.epoch();
        _endpoint = _consumer.endpoint();
    }
    for (auto& arrival : _arrivals)
        arrival.notify_all();
    _metrics.brokerNodes.set("consumer " + _name, _consumer.endpoint());
}

void ConsumerPump::lost() {
    {
        std::lock_guard lock(_mutex);
        if (_epoch == 0)
            return;
        _epoch = 0;
        for (auto& queue : _queues)
            queue.clear();
        _settlements.clear();
    }
    for (auto& arrival : _arrivals)
        arrival.notify_all();
}

void ConsumerPump::route(amqp::Delivery delivery) {
    unsigned lane = 0;
    {
        std::lock_guard lock(_mutex);
        lane = _router.laneOf(
            delivery, [this](unsigned l) { return _ledger.unsettled(l); },
            [this](unsigned l) { return _open[l] != 0; });
        _ledger.received(delivery.deliveryTag, lane);
        _queues[lane].push_back(std::move(delivery));
    }
    _arrivals[lane].notify_one();
}

void ConsumerPump::laneOpen(unsigned lane, bool open) {
    std::lock_guard lock(_mutex);
    _open[lane] = open ? 1 : 0;
}

void ConsumerPump::waiting(bool idle) {
    {
        std::lock_guard lock(_mutex);
        _idle = idle;
        if (idle)
            _idleSince = std::chrono::steady_clock::now();
    }
    // Lanes gathering a batch close it now instead of waiting out inbox.batch_wait_ms.
    if (idle)
        for (auto& arrival : _arrivals)
            arrival.notify_all();
}

void ConsumerPump::flush() {
    std::vector<Settlement> work;
    {
        std::lock_guard lock(_mutex);
        work.swap(_settlements);
    }
    // What the lanes asked for since the last turn goes out together, one kind at a time:
    // a lane's acks may fill the hole below another's, and then one "multiple" frame covers
    // them all instead of one frame per tag above the hole.
    send(work, true, false);
    send(work, false, true);
    send(work, false, false);
}

void ConsumerPump::send(const std::vector<Settlement>& work, bool ack, bool requeue) {
    const std::uint64_t epoch = _consumer.epoch();
    std::vector<std::uint64_t> tags;
    for (const auto& s : work) {
        if (s.epoch != epoch || s.ack != ack || (!ack && s.requeue != requeue))
            continue;
        const auto owned = _ledger.ownedBy(s.lane, s.tags);
        tags.insert(tags.end(), owned.begin(), owned.end());
    }
    if (tags.empty())
        return;
    std::sort(tags.begin(), tags.end());
    tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
    const auto frames = _ledger.settle(tags);
    for (const auto& frame : frames) {
        if (ack)
            _consumer.ack(frame.tag, frame.multiple, epoch);
        else
            _consumer.nack(frame.tag, frame.multiple, requeue, epoch);
    }
    Metrics::add(_metrics.settleFrames, frames.size());
    // Counted once the broker has them back, not when a lane asked: a give-back that never
    // went out (its connection broke first) cost the message nothing.
    if (!ack && requeue)
        Metrics::add(_metrics.givenBack, tags.size());
}

std::optional<amqp::Delivery> ConsumerPump::take(unsigned lane, std::uint64_t epoch,
                                                 std::chrono::milliseconds timeout,
                                                 bool untilIdle) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(_mutex);
    for (;;) {
        if (_epoch != epoch)
            throw BrokerConnectionLost();
        auto& queue = _queues[lane];
        if (!queue.empty()) {
            amqp::Delivery delivery = std::move(queue.front());
            queue.pop_front();
            return delivery;
        }
        if (untilIdle && _idle) {
            const auto now = std::chrono::steady_clock::now();
            const auto quietEnd = _idleSince + _quietGap;
            if (now >= quietEnd || now >= deadline) {
                // The batch closes now: from here on, nothing more is routed to this lane
                // while another is open.
                _open[lane] = 0;
                return std::nullopt;
            }
            _arrivals[lane].wait_until(lock, std::min(deadline, quietEnd));
            continue;
        }
        if (_arrivals[lane].wait_until(lock, deadline) == std::cv_status::timeout &&
            _queues[lane].empty() && _epoch == epoch) {
            if (untilIdle)
                _open[lane] = 0;
            return std::nullopt;
        }
    }
}

bool ConsumerPump::settle(unsigned lane, std::vector<std::uint64_t> tags, bool ack, bool requeue,
                          std::uint64_t epoch) {
    {
        std::lock_guard lock(_mutex);
        if (epoch == 0 || epoch != _epoch)
            return false;
        _settlements.push_back({lane, std::move(tags), ack, requeue, epoch});
    }
    _wake.signal();
    return true;
}

std::uint64_t ConsumerPump::waitConnected(std::chrono::milliseconds timeout) {
    std::unique_lock lock(_mutex);
    // Every lane waits on the first lane's arrivals: connect() notifies them all.
    _arrivals[0].wait_for(lock, timeout, [this] { return _epoch != 0; });
    return _epoch;
}

std::uint64_t ConsumerPump::liveEpoch() const {
    std::lock_guard lock(_mutex);
    return _epoch;
}

std::string ConsumerPump::endpoint() const {
    std::lock_guard lock(_mutex);
    return _endpoint;
}

} // namespace msgbus::core
