#pragma once

#include "core/plugins/LoadedLibrary.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace msgbus::core {

/// A handler object with where it came from and the names it takes.
struct HandlerBinding {
    std::string pluginId;
    std::string className;
    std::shared_ptr<Handler> handler;
    std::vector<std::string> messageNames;
    /// The same object when it is a BatchHandler (its messages are then handed over together),
    /// else null; handler owns it.
    BatchHandler* batch = nullptr;
};

/// One generation of loaded plugins: the serializer, the routing strategy, the handlers and the
/// per-consumer dispatch tables. Immutable once built; workers hold a shared_ptr snapshot per
/// batch, so a reload never changes the plugins under a message in flight.
struct PluginSet {
    std::uint64_t generation = 0;
    std::vector<std::shared_ptr<LoadedLibrary>> libraries;
    std::shared_ptr<Serializer> serializer;
    std::string serializerPlugin;
    std::shared_ptr<RoutingStrategy> routing;
    std::string routingPlugin;
    std::vector<HandlerBinding> handlers;
    /// consumer name → message name → the handler that takes it for that consumer.
    std::map<std::string, std::map<std::string, const HandlerBinding*>> dispatch;

    /// The handler of message name for consumer, or nullptr.
    const HandlerBinding* handlerFor(const std::string& consumer,
                                     const std::string& messageName) const;
};

} // namespace msgbus::core
