#include "core/console/QueueSampler.h"

#include "core/amqp/AmqpNodes.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"

#include <set>

namespace msgbus::core::console {

QueueSampler::QueueSampler(const Settings& settings, std::chrono::milliseconds interval)
    : _managementUrl(settings.amqp.managementUrl), _http(settings.amqp.managementHttp),
      _interval(interval) {
    std::set<std::string> seen;
    for (const auto& consumer : settings.inbox.consumers)
        if (seen.insert(consumer.queue).second)
            _targets.push_back({consumer.queue, consumer.name, true, std::nullopt});
    for (const auto& queue : settings.amqp.queues)
        if (seen.insert(queue.name).second)
            _targets.push_back({queue.name, std::nullopt, true, std::nullopt});
    if (_managementUrl.empty()) {
        _urlError = "amqp.management.url is not set: the queue figures come from RabbitMQ's "
                    "management API";
        return;
    }
    try {
        // The management API logs in as the AMQP user unless its URL names another one.
        const auto first = amqp::AmqpNodes::parse(settings.amqp.url).urls().front();
        _user = first.user();
        _password = first.password();
        _vhost = first.vhost();
    } catch (const std::exception& e) {
        _urlError = "amqp.url: " + errorText(e);
        return;
    }
    _thread = std::thread([this] { run(); });
}

QueueSampler::~QueueSampler() {
    {
        std::lock_guard lock(_mutex);
        _stop = true;
    }
    _wake.notify_all();
    if (_thread.joinable())
        _thread.join();
}

QueueSnapshot QueueSampler::sample() const {
    QueueSnapshot snapshot;
    snapshot.queues = _targets;
    if (!_urlError.empty()) {
        snapshot.error = _urlError;
        return snapshot;
    }
    try {
        amqp::ManagementApi api(_managementUrl, _http, _user, _password, kTimeout);
        for (auto& figures : snapshot.queues) {
            figures.status = api.queue(_vhost, figures.queue);
            figures.exists = figures.status.has_value();
        }
    } catch (const std::exception& e) {
        // The first failure ends the round: the others would wait for the same dead API.
        for (auto& figures : snapshot.queues)
            figures.status.reset();
        snapshot.error = "management API unreachable: " + errorText(e);
    }
    return snapshot;
}

std::map<std::string, std::vector<QueueSampler::Point>> QueueSampler::history() const {
    std::lock_guard lock(_mutex);
    std::map<std::string, std::vector<Point>> out;
    for (const auto& [queue, points] : _history)
        out[queue] = {points.begin(), points.end()};
    return out;
}

void QueueSampler::run() {
    for (;;) {
        const QueueSnapshot snapshot = sample();
        record(snapshot, nowMillis());
        std::unique_lock lock(_mutex);
        if (_wake.wait_for(lock, _interval, [this] { return _stop; }))
            return;
    }
}

void QueueSampler::record(const QueueSnapshot& snapshot, std::int64_t atMs) {
    std::lock_guard lock(_mutex);
    const std::int64_t oldest =
        atMs - std::chrono::duration_cast<std::chrono::milliseconds>(kHistory).count();
    for (const auto& figures : snapshot.queues) {
        auto& points = _history[figures.queue];
        if (figures.status)
            points.push_back({atMs, figures.status->ready, figures.status->unacked});
        while (!points.empty() && points.front()[0] < oldest)
            points.pop_front();
    }
}

} // namespace msgbus::core::console
