#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace msgbus::core {

/// The deliveries each inbox consumer holds unsettled while its database is away, for /ready
/// and /metrics: a host that holds messages is alive (its broker connection is serviced) but
/// cannot make progress, and an operator must see why. Thread-safe; written by the consumer
/// threads, read by the admin endpoint.
class HeldDeliveries {
public:
    /// consumer holds count deliveries since sinceMillis (steady clock) because of why.
    void hold(const std::string& consumer, std::size_t count, std::int64_t sinceMillis,
              const std::string& why);
    /// consumer holds nothing any more.
    void release(const std::string& consumer);

    /// "consumer placed holds 50 deliveries for 12 s: <why>; ..."; "" when nothing is held.
    std::string describe(std::int64_t nowMillis) const;
    /// Deliveries held by all consumers together.
    std::size_t total() const;

private:
    struct Hold {
        std::size_t count = 0;
        std::int64_t since = 0;
        std::string why;
    };

    mutable std::mutex _mutex;
    std::map<std::string, Hold> _holds;
};

} // namespace msgbus::core
