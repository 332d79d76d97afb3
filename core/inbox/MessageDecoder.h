#pragma once

#include "core/inbox/InboxItem.h"
#include "core/inbox/PreparedMessage.h"
#include "core/plugins/PluginSet.h"

#include <span>
#include <string>
#include <vector>

namespace msgbus::core {

/// The first step of the inbox pipeline of one consumer: decodes each item with the
/// serializer plugin, checks the id and the name, and finds the consumer's handler for it.
/// What cannot reach a handler is marked with its reason (PreparedMessage::reject, as
/// FailureClassifier decides) instead of throwing: one bad message never fails its batch.
///
/// No I/O. Thread-safe as far as the serializer is (Serializer.h: it must be).
class MessageDecoder {
public:
    explicit MessageDecoder(std::string consumer);

    /// One PreparedMessage per item, in order; they borrow items and plugins' handlers. Throws
    /// Error when no serializer plugin is loaded (no message is to blame).
    std::vector<PreparedMessage> prepare(const PluginSet& plugins,
                                         std::span<const InboxItem> items) const;

private:
    void decode(const Serializer& serializer, PreparedMessage& p) const;

    std::string _consumer;
};

} // namespace msgbus::core
