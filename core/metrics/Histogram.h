#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace msgbus::core {

/// A Prometheus histogram of milliseconds with fixed buckets, updated lock-free.
class Histogram {
public:
    static constexpr std::array<double, 13> bucketsMs{1,   2,   5,    10,   25,   50,   100,
                                                      250, 500, 1000, 2500, 5000, 10000};

    void observe(double ms) noexcept;

    /// The text exposition of name (in seconds, as Prometheus expects) with help text.
    std::string render(const std::string& name, const std::string& help) const;

    std::uint64_t count() const noexcept { return _count.load(std::memory_order_relaxed); }

private:
    std::array<std::atomic<std::uint64_t>, bucketsMs.size()> _buckets{};
    std::atomic<std::uint64_t> _count{0};
    std::atomic<std::uint64_t> _sumMicros{0};
};

} // namespace msgbus::core
