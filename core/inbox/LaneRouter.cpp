#include "core/inbox/LaneRouter.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace msgbus::core {
namespace {

constexpr const char* kPartitionKeyHeader = "x-partition-key";

/// The key as text, whatever kind a producer sent it as (serializers accept strings, bytes,
/// numbers and booleans): one key must always land on one lane. nullopt for kinds no
/// serializer takes as a key.
std::optional<std::string> keyText(const FieldValue& value) {
    switch (value.kind) {
    case FieldKind::String:
    case FieldKind::Bytes:
        return value.text;
    case FieldKind::Boolean:
        return std::string(value.boolean ? "true" : "false");
    case FieldKind::Float:
    case FieldKind::Double:
        return std::to_string(value.real);
    case FieldKind::UInt64:
        return std::to_string(static_cast<std::uint64_t>(value.integer));
    case FieldKind::Array:
    case FieldKind::Table:
    case FieldKind::Void:
    case FieldKind::Decimal:
        return std::nullopt;
    default:
        return std::to_string(value.integer);
    }
}

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

unsigned LaneRouter::laneOf(const amqp::Delivery& delivery, const Load& load, const Open& open) {
    if (_lanes == 1)
        return 0;
    if (const auto* header = delivery.wire.header(kPartitionKeyHeader))
        if (auto key = keyText(*header))
            return laneOfKey(*key);
    const auto isOpen = [&](unsigned lane) { return !open || open(lane); };
    if (_inChunk >= _chunk) {
        _current = best(load, isOpen, [](unsigned) { return true; });
        _inChunk = 0;
    } else if (!isOpen(_current)) {
        // The run's lane runs its batch now, and what comes next would wait for that batch's
        // handlers and commit: an open lane that holds no more starts it sooner. (One that
        // holds more has a batch's worth or a backlog of its own to get through first.)
        if (const unsigned next = best(load, isOpen, isOpen); next != _current) {
            _current = next;
            _inChunk = 0;
        }
    }
    ++_inChunk;
    return _current;
}

unsigned LaneRouter::best(const Load& load, const Open& open, const Open& candidate) const {
    // The least loaded candidate; on a tie an open lane, then the current one.
    const auto rank = [&](unsigned lane) { return std::make_pair(load(lane), !open(lane)); };
    unsigned chosen = _current;
    for (unsigned lane = 0; lane < _lanes; ++lane)
        if (candidate(lane) && rank(lane) < rank(chosen))
            chosen = lane;
    return chosen;
}

} // namespace msgbus::core
