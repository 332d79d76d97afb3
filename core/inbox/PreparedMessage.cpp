#include "core/inbox/PreparedMessage.h"

#include <msgbus/MessageName.h>

namespace msgbus::core {

std::optional<Id> PreparedMessage::id() const {
    return message ? std::optional<Id>(message->id()) : idOf(*item->wire);
}

std::optional<std::string> PreparedMessage::name() const {
    return message ? std::optional<std::string>(message->name()) : nameOf(*item->wire);
}

std::string PreparedMessage::handlerName() const {
    return handler->pluginId + "/" + handler->className;
}

std::optional<Id> PreparedMessage::idOf(const WireMessage& wire) {
    if (const auto* h = wire.header("x-message-id"); h && h->isString() && Id::isValid(h->text))
        return Id::parse(h->text);
    if (wire.properties.messageId && Id::isValid(*wire.properties.messageId))
        return Id::parse(*wire.properties.messageId);
    return std::nullopt;
}

std::optional<std::string> PreparedMessage::nameOf(const WireMessage& wire) {
    for (const char* key : {"x-message-name", "type"})
        if (const auto* h = wire.header(key); h && h->isString() && isValidMessageName(h->text))
            return h->text;
    if (wire.properties.type && isValidMessageName(*wire.properties.type))
        return wire.properties.type;
    return std::nullopt;
}

} // namespace msgbus::core
