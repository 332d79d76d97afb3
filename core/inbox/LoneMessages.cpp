#include "core/inbox/LoneMessages.h"

namespace msgbus::core {

void LoneMessages::remember(const std::vector<Id>& ids) {
    for (const auto& id : ids)
        if (_ids.insert(id).second)
            _order.push_back(id);
    while (_ids.size() > _capacity && !_order.empty()) {
        _ids.erase(_order.front());
        _order.pop_front();
    }
    // Ids forgotten since they were remembered only take room in the order.
    if (_order.size() > 2 * _capacity + 16) {
        std::deque<Id> kept;
        for (const auto& id : _order)
            if (_ids.count(id))
                kept.push_back(id);
        _order = std::move(kept);
    }
}

void LoneMessages::forget(const Id& id) {
    _ids.erase(id);
}

} // namespace msgbus::core
