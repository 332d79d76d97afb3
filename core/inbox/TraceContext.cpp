#include "core/inbox/TraceContext.h"

#include <random>

namespace msgbus::core {
namespace {

bool isLowerHex(const std::string& text, std::size_t size) {
    if (text.size() != size)
        return false;
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    return true;
}

bool allZeros(const std::string& text) {
    return text.find_first_not_of('0') == std::string::npos;
}

std::string randomSpanId() {
    // Per thread: no lock, and span ids need to be unique, not secret.
    thread_local std::mt19937_64 engine{std::random_device{}()};
    static constexpr char digits[] = "0123456789abcdef";
    std::string id(16, '0');
    do {
        std::uint64_t bits = engine();
        for (auto& c : id) {
            c = digits[bits & 0xf];
            bits >>= 4;
        }
    } while (allZeros(id));
    return id;
}

} // namespace

std::optional<TraceParent> TraceParent::parse(const std::string& header) {
    // 00-<32>-<16>-<2>: 55 characters.
    if (header.size() != 55 || header[2] != '-' || header[35] != '-' || header[52] != '-')
        return std::nullopt;
    if (header.compare(0, 2, "00") != 0)
        return std::nullopt;
    TraceParent parsed{header.substr(3, 32), header.substr(36, 16), header.substr(53, 2)};
    if (!isLowerHex(parsed.traceId, 32) || !isLowerHex(parsed.parentId, 16) ||
        !isLowerHex(parsed.flags, 2) || allZeros(parsed.traceId) || allZeros(parsed.parentId))
        return std::nullopt;
    return parsed;
}

std::string TraceParent::child() const {
    return "00-" + traceId + "-" + randomSpanId() + "-" + flags;
}

void inheritContext(const Message& cause, Message& effect) {
    const std::string causeId = cause.hasId() ? cause.id().toString() : std::string();
    if (!effect.header("traceparent")) {
        if (auto parent = cause.header("traceparent"))
            if (auto parsed = TraceParent::parse(*parent)) {
                effect.setHeader("traceparent", parsed->child());
                if (auto state = cause.header("tracestate"); state && !effect.header("tracestate"))
                    effect.setHeader("tracestate", *state);
            }
    }
    if (!effect.header("correlation-id")) {
        if (auto correlation = cause.header("correlation-id"))
            effect.setHeader("correlation-id", *correlation);
        else if (!causeId.empty())
            effect.setHeader("correlation-id", causeId);
    }
    if (!effect.header("causation-id") && !causeId.empty())
        effect.setHeader("causation-id", causeId);
}

std::string traceIdOf(const Message& message) {
    if (auto header = message.header("traceparent"))
        if (auto parsed = TraceParent::parse(*header))
            return parsed->traceId;
    return {};
}

} // namespace msgbus::core
