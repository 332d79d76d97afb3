#pragma once

// What the bench handlers read from a bench.count payload and which counter row it counts in,
// shared by the per-message and the batch handler plugins.
#include <msgbus/Error.h>

#include <msgbus/Message.h>

#include <charconv>
#include <chrono>
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

/// The header in which the latency bench's producer stamps a message's creation in
/// microseconds: the message's own createdAt has milliseconds, too coarse for a figure of a
/// few milliseconds.
constexpr const char* kCreatedMicrosHeader = "x-bench-created-us";

/// UTC microseconds since the epoch.
inline std::int64_t nowMicros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// When message was created, in microseconds: the producer's stamp, or createdAt.
inline std::int64_t createdMicros(const msgbus::Message& message) {
    std::int64_t micros = 0;
    if (auto text = message.header(kCreatedMicrosHeader)) {
        auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), micros);
        if (ec == std::errc() && end == text->data() + text->size())
            return micros;
    }
    return message.createdAt() * 1000;
}

} // namespace bench
