#include "core/inbox/OutageHold.h"

#include "core/util/ErrorText.h"

#include <Poco/Data/Session.h>

#include <algorithm>

namespace msgbus::core {

using namespace std::chrono;

OutageHold::OutageHold(Database& database, amqp::AmqpConsumer& consumer, Metrics& metrics,
                       std::string consumerName, milliseconds maxHold)
    : _database(database), _consumer(consumer), _metrics(metrics),
      _consumerName(std::move(consumerName)), _maxHold(maxHold),
      _log(Poco::Logger::get("msgbus.inbox")) {}

OutageHold::~OutageHold() {
    if (_holding)
        _metrics.heldDeliveries.release(_consumerName);
}

void OutageHold::begin(std::size_t count, const std::string& error) {
    _count = count;
    _error = error;
    if (!_holding) {
        _holding = true;
        _since = steady_clock::now();
        _sinceMillis = Metrics::steadyMillis();
        _probes = 0;
        _log.warning("consumer %s: the database is away (%s); holding %z deliveries, not giving "
                     "them back, until it answers (probing with backoff)",
                     _consumerName, error, count);
    }
    publish();
}

void OutageHold::publish() {
    _metrics.heldDeliveries.hold(_consumerName, _count, _sinceMillis,
                                 "waiting for the database: " + _error);
}

OutageHold::End OutageHold::wait(StopToken& stop, std::deque<amqp::Delivery>& arrived,
                                 std::exception_ptr& brokerError) {
    for (;;) {
        const auto held = steady_clock::now() - _since;
        if (held >= _maxHold)
            return End::HeldTooLong;
        const auto left = duration_cast<milliseconds>(_maxHold - held);
        if (!service(stop, std::min(_backoff.delay(++_probes), left), arrived, brokerError))
            return stop.stopRequested() ? End::StopRequested : End::BrokerLost;
        if (probe())
            return End::DatabaseAnswers;
    }
}

bool OutageHold::service(StopToken& stop, milliseconds duration,
                         std::deque<amqp::Delivery>& arrived, std::exception_ptr& brokerError) {
    // Short slices: a stop is seen within one, and heartbeats are answered in each.
    constexpr milliseconds slice{200};
    const auto until = steady_clock::now() + duration;
    try {
        for (;;) {
            if (stop.stopRequested())
                return false;
            const auto left = duration_cast<milliseconds>(until - steady_clock::now());
            if (left <= milliseconds::zero())
                return true;
            if (auto delivery = _consumer.next(std::min(left, slice)))
                arrived.push_back(std::move(*delivery));
            _metrics.brokerOk();
        }
    } catch (const std::exception&) {
        brokerError = std::current_exception();
        return false;
    }
}

bool OutageHold::probe() {
    try {
        auto session = _database.session();
        *session << "SELECT 1", Poco::Data::Keywords::now;
        _metrics.databaseOk();
        return true;
    } catch (const std::exception& e) {
        // Kept for /ready: the newest reason is the one an operator needs.
        _error = errorText(e);
        publish();
        return false;
    }
}

void OutageHold::end(const std::string& how) {
    if (!_holding)
        return;
    const auto seconds = duration_cast<milliseconds>(steady_clock::now() - _since).count() / 1000.0;
    _log.warning("consumer %s: held %z deliveries for %.1f s while the database was away; %s",
                 _consumerName, _count, seconds, how);
    _holding = false;
    _metrics.heldDeliveries.release(_consumerName);
}

} // namespace msgbus::core
