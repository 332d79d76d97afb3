#include "core/inbox/AckLedger.h"

#include <algorithm>

namespace msgbus::core {

void AckLedger::received(std::uint64_t tag, unsigned lane) {
    _lanes[tag] = lane;
    if (_perLane.size() <= lane)
        _perLane.resize(lane + 1, 0);
    ++_perLane[lane];
}

std::vector<std::uint64_t> AckLedger::tagsOf(unsigned lane, std::uint64_t upTo,
                                             bool multiple) const {
    std::vector<std::uint64_t> tags;
    if (!multiple) {
        if (auto it = _lanes.find(upTo); it != _lanes.end() && it->second == lane)
            tags.push_back(upTo);
        return tags;
    }
    for (auto it = _lanes.begin(); it != _lanes.end() && it->first <= upTo; ++it)
        if (it->second == lane)
            tags.push_back(it->first);
    return tags;
}

std::vector<AckLedger::Frame> AckLedger::settle(const std::vector<std::uint64_t>& tags) {
    std::vector<std::uint64_t> known;
    for (auto tag : tags)
        if (_lanes.count(tag))
            known.push_back(tag);
    std::sort(known.begin(), known.end());
    known.erase(std::unique(known.begin(), known.end()), known.end());
    std::vector<Frame> frames;
    if (known.empty())
        return frames;
    // The lowest unsettled tags, as far as all of them are being settled now: one frame.
    std::size_t prefix = 0;
    for (auto it = _lanes.begin(); it != _lanes.end() && prefix < known.size(); ++it, ++prefix)
        if (it->first != known[prefix])
            break;
    if (prefix > 1)
        frames.push_back({known[prefix - 1], true});
    else
        prefix = 0;
    for (std::size_t i = prefix; i < known.size(); ++i)
        frames.push_back({known[i], false});
    for (auto tag : known) {
        auto it = _lanes.find(tag);
        --_perLane[it->second];
        _lanes.erase(it);
    }
    return frames;
}

std::size_t AckLedger::unsettled(unsigned lane) const {
    return lane < _perLane.size() ? _perLane[lane] : 0;
}

void AckLedger::reset() {
    _lanes.clear();
    std::fill(_perLane.begin(), _perLane.end(), 0);
}

} // namespace msgbus::core
