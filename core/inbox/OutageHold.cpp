#include "core/inbox/OutageHold.h"

#include "core/util/ErrorText.h"

#include <Poco/Data/Session.h>

#include <algorithm>

namespace msgbus::core {

using namespace std::chrono;

OutageHold::OutageHold(Database& database, LaneDeliveries& consumer, Metrics& metrics,
                       std::string consumerName, milliseconds maxHold)
    : _database(database), _consumer(consumer), _metrics(metrics),
      _consumerName(std::move(consumerName)), _maxHold(maxHold),
      _log(Poco::Logger::get("msgbus.inbox")) {}

OutageHold::~OutageHold() {
    if (_holding)
        _metrics.heldDeliveries.release(_consumerName);
}

void OutageHold::begin(std::size_t count, steady_clock::time_point oldest,
                       const std::string& error) {
    _count = count;
    _error = error;
    if (!_holding) {
        _holding = true;
        _since = steady_clock::now();
        _oldest = oldest;
        _sinceMillis = Metrics::steadyMillis();
        _probes = 0;
        _nextProbe = _since + _backoff.delay(++_probes);
        _log.warning("consumer %s: the batch cannot be committed (%s); holding %z deliveries, "
                     "not giving them back, until the database takes it (probing with backoff)",
                     _consumerName, error, count);
    } else {
        _oldest = std::min(_oldest, oldest);
        _nextProbe = steady_clock::now() + _backoff.delay(++_probes);
    }
    publish();
}

void OutageHold::publish() {
    _metrics.heldDeliveries.hold(_consumerName, _count, _sinceMillis,
                                 "waiting for the database: " + _error);
}

OutageHold::End OutageHold::wait(StopToken& stop, std::deque<amqp::Delivery>& arrived,
                                 std::exception_ptr& brokerError) {
    // Short slices: a stop is seen within one.
    constexpr milliseconds slice{200};
    for (;;) {
        const auto now = steady_clock::now();
        if (now - _oldest >= _maxHold)
            return End::HeldTooLong;
        if (!_probe.valid() && now >= _nextProbe)
            _probe = std::async(std::launch::async, [this] { return probe(); });
        if (_probe.valid() && _probe.wait_for(milliseconds::zero()) == std::future_status::ready) {
            if (probeAnswered())
                return End::DatabaseAnswers;
            _nextProbe = steady_clock::now() + _backoff.delay(++_probes);
        }
        const auto left = duration_cast<milliseconds>(_maxHold - (now - _oldest));
        if (!collect(stop, std::clamp(left, milliseconds(1), slice), arrived, brokerError))
            return stop.stopRequested() ? End::StopRequested : End::BrokerLost;
    }
}

bool OutageHold::collect(StopToken& stop, milliseconds duration,
                         std::deque<amqp::Delivery>& arrived, std::exception_ptr& brokerError) {
    if (stop.stopRequested())
        return false;
    try {
        if (auto delivery = _consumer.next(duration)) {
            arrived.push_back(std::move(*delivery));
            ++_count;
            publish();
        }
        return true;
    } catch (const std::exception&) {
        brokerError = std::current_exception();
        return false;
    }
}

std::string OutageHold::probe() const {
    try {
        auto session = _database.session();
        *session << "SELECT 1", Poco::Data::Keywords::now;
        return std::string();
    } catch (const std::exception& e) {
        return errorText(e);
    } catch (...) {
        return "unknown error";
    }
}

bool OutageHold::probeAnswered() {
    const std::string error = _probe.get();
    if (error.empty()) {
        _metrics.databaseOk();
        return true;
    }
    // Kept for /ready: the newest reason is the one an operator needs.
    _error = error;
    publish();
    return false;
}

void OutageHold::end(const std::string& how) {
    if (!_holding)
        return;
    const auto seconds = duration_cast<milliseconds>(steady_clock::now() - _since).count() / 1000.0;
    _log.warning("consumer %s: held %z deliveries for %.1f s; %s", _consumerName, _count, seconds,
                 how);
    _holding = false;
    _metrics.heldDeliveries.release(_consumerName);
}

} // namespace msgbus::core
