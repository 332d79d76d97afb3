#include "core/plugins/PluginSet.h"

namespace msgbus::core {

const HandlerBinding* PluginSet::handlerFor(const std::string& consumer,
                                            const std::string& messageName) const {
    auto table = dispatch.find(consumer);
    if (table == dispatch.end())
        return nullptr;
    auto it = table->second.find(messageName);
    return it == table->second.end() ? nullptr : it->second;
}

} // namespace msgbus::core
