#include "core/inbox/BatchPlan.h"

#include <algorithm>
#include <numeric>

namespace msgbus::core {

BatchPlan BatchPlan::byHostDeaths(const std::vector<int>& deaths) {
    BatchPlan plan;
    plan._order.resize(deaths.size());
    std::iota(plan._order.begin(), plan._order.end(), std::size_t{0});
    // Stable: deliveries with as many deaths keep the order they arrived in.
    std::stable_sort(plan._order.begin(), plan._order.end(),
                     [&](std::size_t a, std::size_t b) { return deaths[a] < deaths[b]; });
    plan._together = static_cast<std::size_t>(std::count(deaths.begin(), deaths.end(), 0));
    return plan;
}

} // namespace msgbus::core
