#include "core/inbox/MessageDecoder.h"

#include "core/inbox/FailureClassifier.h"

#include <msgbus/Error.h>
#include <msgbus/MessageName.h>

namespace msgbus::core {

MessageDecoder::MessageDecoder(std::string consumer) : _consumer(std::move(consumer)) {}

std::vector<PreparedMessage> MessageDecoder::prepare(const PluginSet& plugins,
                                                     std::span<const InboxItem> items) const {
    if (!plugins.serializer)
        throw Error("consumer " + _consumer + ": no serializer plugin is loaded");
    std::vector<PreparedMessage> batch(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        PreparedMessage& p = batch[i];
        p.item = &items[i];
        if (p.item->decodeError) {
            p.reject = FailureClassifier::undecodable(*p.item->decodeError);
            continue;
        }
        decode(*plugins.serializer, p);
        if (p.reject)
            continue;
        p.handler = plugins.handlerFor(_consumer, p.message->name());
        if (!p.handler)
            p.reject = FailureClassifier::unknownName(_consumer, p.message->name());
    }
    return batch;
}

void MessageDecoder::decode(const Serializer& serializer, PreparedMessage& p) const {
    try {
        Message message = serializer.decode(*p.item->wire);
        if (!message.hasId())
            throw MalformedMessage("message id", "the serializer returned no id");
        validateMessageName(message.name());
        p.message = std::move(message);
    } catch (...) {
        p.reject = FailureClassifier::ofDecoding(std::current_exception());
    }
}

} // namespace msgbus::core
