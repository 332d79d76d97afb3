#include "core/tracing/TraceContext.h"

#include "core/tracing/SpanExporter.h"

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

std::string TraceParent::child(const std::string& spanId) const {
    return "00-" + traceId + "-" + (spanId.empty() ? newSpanId() : spanId) + "-" + flags;
}

void inheritContext(const Message& cause, Message& effect, const std::string& parentSpanId) {
    const std::string causeId = cause.hasId() ? cause.id().toString() : std::string();
    if (!effect.header("traceparent")) {
        if (auto parent = cause.header("traceparent"))
            if (auto parsed = TraceParent::parse(*parent)) {
                effect.setHeader("traceparent", parsed->child(parentSpanId));
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
