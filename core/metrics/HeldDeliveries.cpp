#include "core/metrics/HeldDeliveries.h"

namespace msgbus::core {

void HeldDeliveries::hold(const std::string& consumer, std::size_t count, std::int64_t sinceMillis,
                          const std::string& why) {
    std::lock_guard lock(_mutex);
    _holds[consumer] = Hold{count, sinceMillis, why};
}

void HeldDeliveries::release(const std::string& consumer) {
    std::lock_guard lock(_mutex);
    _holds.erase(consumer);
}

std::string HeldDeliveries::describe(std::int64_t nowMillis) const {
    std::lock_guard lock(_mutex);
    std::string out;
    for (const auto& [consumer, hold] : _holds) {
        const std::int64_t seconds = (nowMillis - hold.since) / 1000;
        out += (out.empty() ? "" : "; ") + std::string("consumer ") + consumer + " holds " +
               std::to_string(hold.count) + " deliver" + (hold.count == 1 ? "y" : "ies") + " for " +
               std::to_string(seconds) + " s: " + hold.why;
    }
    return out;
}

std::size_t HeldDeliveries::total() const {
    std::lock_guard lock(_mutex);
    std::size_t n = 0;
    for (const auto& entry : _holds)
        n += entry.second.count;
    return n;
}

} // namespace msgbus::core
