#pragma once

// What the bench handlers read from a bench.count payload and which counter row it counts in,
// shared by the per-message and the batch handler plugins.
#include <msgbus/Error.h>

#include <charconv>
#include <cstdint>
#include <string>

namespace bench {

/// The rows of the counter table: message k counts in row k % kCounterRows.
constexpr std::int64_t kCounterRows = 100;

/// The integer after "k": in the payload; throws MalformedMessage when there is none.
inline std::int64_t keyOf(const std::string& payload) {
    static constexpr char marker[] = "\"k\":";
    auto pos = payload.find(marker);
    if (pos == std::string::npos)
        throw msgbus::MalformedMessage("payload.k", "bench.count needs {\"k\":<integer>}");
    const char* begin = payload.data() + pos + sizeof(marker) - 1;
    std::int64_t k = 0;
    auto [end, ec] = std::from_chars(begin, payload.data() + payload.size(), k);
    if (ec != std::errc() || end == begin)
        throw msgbus::MalformedMessage("payload.k", "bench.count needs {\"k\":<integer>}");
    return k;
}

} // namespace bench
