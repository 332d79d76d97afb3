#pragma once

#include "core/config/Settings.h"
#include "core/plugins/PluginSet.h"

#include <functional>
#include <map>
#include <set>
#include <string>

namespace msgbus::core {
class Database;
}

namespace msgbus::core::console {

/// consumer name → the message names its handlers take (what a retry to another consumer
/// checks). Throws, saying why, when the console cannot tell (its plugins did not load).
using ConsumerNames = std::function<std::map<std::string, std::set<std::string>>()>;

/// The names each consumer of a plugin generation takes (its dispatch table).
inline std::map<std::string, std::set<std::string>> consumerNamesOf(const PluginSet& set) {
    std::map<std::string, std::set<std::string>> out;
    for (const auto& [consumer, names] : set.dispatch)
        for (const auto& entry : names)
            out[consumer].insert(entry.first);
    return out;
}

/// What the console's routes work with. The database and the providers outlive the console.
struct ConsoleContext {
    Database& database;
    Settings settings;
    ConsumerNames consumerNames;
    std::string version;
};

} // namespace msgbus::core::console
