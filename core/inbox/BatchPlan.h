#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace msgbus::core {

/// Which deliveries of a gathered batch run together in one transaction, and which run alone,
/// in what order.
///
/// A delivery whose earlier run never ended (UnfinishedRuns: it killed its host, or died with
/// the one that did) must not take its neighbours down again: those run first, together, and
/// each such delivery then runs alone, those that died least often first. The order of the
/// rest is kept, so that a batch without host deaths is run as it arrived.
///
/// A value type; pure.
class BatchPlan {
public:
    /// The plan for a batch whose i-th delivery has deaths[i] (>= 0) host deaths.
    static BatchPlan byHostDeaths(const std::vector<int>& deaths);

    /// The position in the gathered batch of each delivery, in the order they run.
    const std::vector<std::size_t>& order() const noexcept { return _order; }

    /// How many run together, first, in one transaction; each one after them runs alone.
    std::size_t together() const noexcept { return _together; }

    /// Whether the order differs from the gathered one (some delivery has host deaths).
    bool reorders() const noexcept { return _together < _order.size(); }

    /// Puts values (one per gathered delivery) in the order they run.
    template <class T> void arrange(std::vector<T>& values) const {
        std::vector<T> arranged;
        arranged.reserve(values.size());
        for (std::size_t i : _order)
            arranged.push_back(std::move(values[i]));
        values = std::move(arranged);
    }

private:
    std::vector<std::size_t> _order;
    std::size_t _together = 0;
};

} // namespace msgbus::core
