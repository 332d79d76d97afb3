#include "msgbus/Message.h"

#include "msgbus/Error.h"

#include <charconv>

namespace msgbus {

Message::Message(std::string name, std::string payloadJson)
    : _name(std::move(name)), _payload(std::move(payloadJson)) {}

const Id& Message::id() const {
    if (!_id)
        throw MissingId("message '" + _name +
                        "' has no id yet (ids are minted when it is written to the outbox)");
    return *_id;
}

std::optional<std::string> Message::header(const std::string& key) const {
    auto it = _headers.find(key);
    if (it == _headers.end())
        return std::nullopt;
    return it->second;
}

void Message::setDeliverAt(std::chrono::system_clock::time_point at) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
    // Before 1970 is as much "at once" as any other past time.
    _headers[kDeliverAtHeader] = std::to_string(ms < 0 ? 0 : ms);
}

void Message::setDelay(std::chrono::milliseconds delay) {
    if (delay.count() < 0)
        throw InvalidArgument("message '" + _name + "': negative delay " +
                              std::to_string(delay.count()) + "ms");
    setDeliverAt(std::chrono::system_clock::now() + delay);
}

std::optional<std::int64_t> Message::deliverAt() const {
    auto it = _headers.find(kDeliverAtHeader);
    if (it == _headers.end())
        return std::nullopt;
    const std::string& text = it->second;
    std::int64_t ms = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (error != std::errc() || end != text.data() + text.size() || text.empty() || ms < 0)
        throw InvalidArgument("message '" + _name + "' header " + kDeliverAtHeader + " '" +
                              text.substr(0, 40) +
                              "': expected the delivery time in ms since the epoch");
    return ms;
}

} // namespace msgbus
