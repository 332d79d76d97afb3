#include "core/inbox/LaneRouter.h"

#include <algorithm>
#include <cstdint>

namespace msgbus::core {
namespace {

constexpr const char* kPartitionKeyHeader = "x-partition-key";

} // namespace

LaneRouter::LaneRouter(unsigned lanes, std::size_t chunk)
    : _lanes(std::max(1u, lanes)), _chunk(std::max<std::size_t>(1, chunk)) {}

unsigned LaneRouter::laneOfKey(const std::string& key) const noexcept {
    // FNV-1a: stable across runs and builds (std::hash is neither promised to be), cheap.
    std::uint64_t hash = 14695981039346656037ull;
    for (unsigned char c : key) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    return static_cast<unsigned>(hash % _lanes);
}

unsigned LaneRouter::laneOf(const amqp::Delivery& delivery,
                            const std::function<std::size_t(unsigned)>& load) {
    if (_lanes == 1)
        return 0;
    if (const auto* key = delivery.wire.header(kPartitionKeyHeader); key && key->isString())
        return laneOfKey(key->text);
    if (_inChunk >= _chunk) {
        _inChunk = 0;
        unsigned best = _current;
        for (unsigned lane = 0; lane < _lanes; ++lane)
            if (load(lane) < load(best))
                best = lane;
        _current = best;
    }
    ++_inChunk;
    return _current;
}

} // namespace msgbus::core
