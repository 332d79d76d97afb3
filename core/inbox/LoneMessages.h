#pragma once

#include <msgbus/Id.h>

#include <cstddef>
#include <deque>
#include <set>
#include <vector>

namespace msgbus::core {

/// The messages whose batch handler call lost the database connection (or the batch's one write
/// of what its handlers published, which counts those handlers' messages): any of them may have
/// caused it (a statement past db.io_timeout_ms, a killed query), and the call's statements
/// left behind on the server hold their locks until they end, so the batch cannot run again at
/// once. The batch goes back to the broker without blaming anyone; when these messages come
/// back, each is handed over alone, so that a message whose own statement loses the connection
/// again is the one its redeliveries count against.
///
/// Remembers at most capacity ids (the oldest are forgotten first) until each is settled. Per
/// MessageProcessor: another worker that receives them learns the same way. Not thread-safe.
class LoneMessages {
public:
    explicit LoneMessages(std::size_t capacity = 10000) : _capacity(capacity) {}

    void remember(const std::vector<Id>& ids);
    bool contains(const Id& id) const { return _ids.count(id) > 0; }
    void forget(const Id& id);
    bool empty() const noexcept { return _ids.empty(); }

private:
    std::size_t _capacity;
    std::set<Id> _ids;
    std::deque<Id> _order; ///< oldest first; may hold ids already forgotten
};

} // namespace msgbus::core
