#include "core/inbox/RedeliveryTracker.h"

#include <algorithm>
#include <functional>

namespace msgbus::core {

std::string RedeliveryTracker::identityOf(const amqp::Delivery& delivery) {
    const auto& wire = delivery.wire;
    if (const auto* id = wire.header("x-message-id"); id && id->isString())
        return "id:" + id->text;
    if (wire.properties.messageId)
        return "id:" + *wire.properties.messageId;
    return "body:" + std::to_string(std::hash<std::string>{}(wire.body)) + ":" +
           std::to_string(wire.body.size()) + ":" + delivery.routingKey;
}

int RedeliveryTracker::redeliveries(const amqp::Delivery& delivery) {
    if (!delivery.redelivered)
        return 0;
    std::lock_guard lock(_mutex);
    Entry& entry = entryFor(identityOf(delivery));
    ++entry.seen;
    return std::max(0, entry.seen - entry.excused);
}

std::string RedeliveryTracker::lastError(const amqp::Delivery& delivery) const {
    std::lock_guard lock(_mutex);
    auto it = _entries.find(identityOf(delivery));
    return it == _entries.end() ? std::string() : it->second.lastError;
}

void RedeliveryTracker::gaveBack(const amqp::Delivery& delivery, const std::string& error,
                                 bool outage) {
    std::lock_guard lock(_mutex);
    Entry& entry = entryFor(identityOf(delivery));
    if (outage)
        ++entry.excused;
    else
        entry.lastError = error;
}

void RedeliveryTracker::runLeftBehind(const amqp::Delivery& delivery) {
    std::lock_guard lock(_mutex);
    ++entryFor(identityOf(delivery)).runsLeft;
}

int RedeliveryTracker::runsLeftBehind(const amqp::Delivery& delivery) const {
    std::lock_guard lock(_mutex);
    auto it = _entries.find(identityOf(delivery));
    return it == _entries.end() ? 0 : it->second.runsLeft;
}

RedeliveryTracker::Entry& RedeliveryTracker::entryFor(const std::string& key) {
    if (auto it = _entries.find(key); it != _entries.end())
        return it->second;
    if (_entries.size() >= _capacity)
        _entries.clear();
    return _entries[key];
}

void RedeliveryTracker::settled(const amqp::Delivery& delivery) {
    std::lock_guard lock(_mutex);
    if (!_entries.empty())
        _entries.erase(identityOf(delivery));
}

} // namespace msgbus::core
