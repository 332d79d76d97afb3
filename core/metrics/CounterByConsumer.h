#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace msgbus::core {

/// A counter with one value per inbox consumer, rendered as one Prometheus sample per
/// consumer (`name{consumer="orders"} 3`). Thread-safe: the lanes of every consumer add to it,
/// the admin endpoint renders it.
class CounterByConsumer {
public:
    void add(const std::string& consumer, std::uint64_t n = 1);
    /// consumer's count; 0 for a consumer that never counted.
    std::uint64_t value(const std::string& consumer) const;
    /// The HELP and TYPE lines and one sample per consumer that counted.
    std::string render(const char* name, const char* help) const;

private:
    mutable std::mutex _mutex;
    std::map<std::string, std::uint64_t> _counts;
};

} // namespace msgbus::core
