#include "core/console/SignInThrottle.h"

#include <algorithm>

namespace msgbus::core::console {

std::chrono::milliseconds SignInThrottle::blockedFor(const std::string& address,
                                                     Clock::time_point now) {
    std::lock_guard lock(_mutex);
    const auto it = _records.find(address);
    if (it == _records.end() || it->second.blockedUntil <= now)
        return std::chrono::milliseconds(0);
    return std::chrono::ceil<std::chrono::milliseconds>(it->second.blockedUntil - now);
}

void SignInThrottle::failed(const std::string& address, Clock::time_point now) {
    std::lock_guard lock(_mutex);
    if (_records.size() >= kMaxAddresses && !_records.count(address))
        makeRoom(now);
    Record& r = _records[address];
    if (r.failures > 0 && now - r.lastFailure > kForgetAfter)
        r = Record{};
    ++r.failures;
    r.lastFailure = now;
    if (r.failures <= kFreeFailures)
        return;
    // 1 s for the first failure past the free ones, doubling; the shift stays small.
    const int doublings = std::min(r.failures - kFreeFailures - 1, 16);
    const auto block = std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(1000LL << doublings), kMaxBlock);
    r.blockedUntil = now + block;
}

void SignInThrottle::succeeded(const std::string& address) {
    std::lock_guard lock(_mutex);
    _records.erase(address);
}

void SignInThrottle::makeRoom(Clock::time_point now) {
    std::erase_if(_records, [now](const auto& entry) {
        return now - entry.second.lastFailure > kForgetAfter && entry.second.blockedUntil <= now;
    });
    if (_records.size() < kMaxAddresses)
        return;
    // Still full (many addresses failing at once): the longest quiet one goes.
    const auto quietest =
        std::min_element(_records.begin(), _records.end(), [](const auto& a, const auto& b) {
            return a.second.lastFailure < b.second.lastFailure;
        });
    _records.erase(quietest);
}

} // namespace msgbus::core::console
