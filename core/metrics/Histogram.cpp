#include "core/metrics/Histogram.h"

#include <cstdio>

namespace msgbus::core {

void Histogram::observe(double ms) noexcept {
    for (std::size_t i = 0; i < bucketsMs.size(); ++i)
        if (ms <= bucketsMs[i])
            _buckets[i].fetch_add(1, std::memory_order_relaxed);
    _count.fetch_add(1, std::memory_order_relaxed);
    _sumMicros.fetch_add(static_cast<std::uint64_t>(ms < 0 ? 0 : ms * 1000.0),
                         std::memory_order_relaxed);
}

std::string Histogram::render(const std::string& name, const std::string& help) const {
    std::string out = "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
    char line[160];
    for (std::size_t i = 0; i < bucketsMs.size(); ++i) {
        std::snprintf(line, sizeof line, "%s_bucket{le=\"%g\"} %llu\n", name.c_str(),
                      bucketsMs[i] / 1000.0,
                      static_cast<unsigned long long>(_buckets[i].load(std::memory_order_relaxed)));
        out += line;
    }
    const auto count = _count.load(std::memory_order_relaxed);
    std::snprintf(line, sizeof line, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n",
                  name.c_str(), static_cast<unsigned long long>(count), name.c_str(),
                  static_cast<double>(_sumMicros.load(std::memory_order_relaxed)) / 1e6,
                  name.c_str(), static_cast<unsigned long long>(count));
    out += line;
    return out;
}

} // namespace msgbus::core
