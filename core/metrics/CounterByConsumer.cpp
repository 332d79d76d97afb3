#include "core/metrics/CounterByConsumer.h"

namespace msgbus::core {

void CounterByConsumer::add(const std::string& consumer, std::uint64_t n) {
    std::lock_guard lock(_mutex);
    _counts[consumer] += n;
}

std::uint64_t CounterByConsumer::value(const std::string& consumer) const {
    std::lock_guard lock(_mutex);
    auto it = _counts.find(consumer);
    return it == _counts.end() ? 0 : it->second;
}

std::string CounterByConsumer::render(const char* name, const char* help) const {
    std::string out =
        std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n";
    std::lock_guard lock(_mutex);
    // Consumer names are checked names (letters, digits, '_', '-'): nothing in them needs
    // escaping in a label value.
    for (const auto& [consumer, count] : _counts)
        out +=
            std::string(name) + "{consumer=\"" + consumer + "\"} " + std::to_string(count) + "\n";
    return out;
}

} // namespace msgbus::core
