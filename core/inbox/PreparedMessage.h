#pragma once

#include "core/inbox/Failure.h"
#include "core/inbox/InboxItem.h"
#include "core/inbox/ProcessResult.h"
#include "core/plugins/PluginSet.h"

#include <msgbus/Id.h>
#include <msgbus/Message.h>

#include <cstdint>
#include <optional>
#include <string>

namespace msgbus::core {

/// One message of a batch on its way through the pipeline: what MessageDecoder made of the
/// item, and the outcome of the current run. A batch may be run more than once (the fast path,
/// then with savepoints, then each message alone); the outcome fields are reset each time.
///
/// Borrows item (from the caller of MessageProcessor) and handler (from the plugin set of the
/// batch): both must outlive it.
struct PreparedMessage {
    const InboxItem* item = nullptr;
    std::optional<Message> message;
    const HandlerBinding* handler = nullptr;
    /// Set when the message cannot reach a handler at all: its row's reason.
    std::optional<Failure> reject;
    /// Its handler already ran once for this attempt, in a run that was rolled back.
    bool handlerRan = false;
    /// Its batch handler failed in a call with other messages: from now on it is handed over
    /// alone, so that only the guilty message fails.
    bool runsAlone = false;
    // The outcome of the current run.
    ProcessResult result = ProcessResult::Handled;
    std::string error;
    int published = 0;
    /// The span of the handler's last run, when spans are recorded and the message is traced.
    std::string spanId;
    std::int64_t startNanos = 0;
    std::int64_t endNanos = 0;

    /// The message id: the decoded one, else the best guess from the wire (for the failed row
    /// and the logs).
    std::optional<Id> id() const;
    /// The message name: the decoded one, else the best guess from the wire.
    std::optional<std::string> name() const;
    /// "plugin/Class" of its handler; requires handler.
    std::string handlerName() const;

    /// Best-effort identity of a message that could not be decoded, for the failed row's
    /// columns: the x-message-id header, else the message-id property, when a valid id.
    static std::optional<Id> idOf(const WireMessage& wire);
    /// The x-message-name header, else the type header, else the type property, when a valid
    /// message name.
    static std::optional<std::string> nameOf(const WireMessage& wire);
};

} // namespace msgbus::core
