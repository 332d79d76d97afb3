#include "msgbus/Message.h"

#include "msgbus/Error.h"

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

} // namespace msgbus
