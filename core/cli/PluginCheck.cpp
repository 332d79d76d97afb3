#include "core/cli/PluginCheck.h"

#include "core/plugins/PluginLoader.h"
#include "core/util/ErrorText.h"

#include <filesystem>

namespace msgbus::core::cli {
namespace {

std::string listed(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names)
        out += (out.empty() ? "" : ", ") + name;
    return out;
}

} // namespace

void PluginCheck::run() {
    const std::string& dir = _settings.pluginsDir;
    if (std::filesystem::is_directory(dir))
        _report.ok("plugin directory", dir);
    else
        _report.fail("plugin directory",
                     dir + " is not a directory (set plugins.dir to where the plugins are)");

    try {
        _runtime = PluginRuntimeDir::open(_settings.runtimeDir);
        if (!_runtime->isPrivate())
            _report.ok("plugin runtime directory", _runtime->path());
    } catch (...) {
        _report.fail("plugin runtime directory", currentErrorText());
        _report.info("plugins", "not loaded without a runtime directory");
        return;
    }

    bool loaded = true;
    for (const auto& plugin : _settings.plugins)
        loaded = checkPlugin(plugin) && loaded;
    if (!loaded) {
        _report.info("bus plugins and consumers",
                     "not checked until every plugin loads (bus.serializer, bus.routing and the "
                     "consumers' handlers)");
        return;
    }
    checkBusPlugins();
    for (const auto& consumer : _settings.inbox.consumers)
        checkConsumer(consumer);
}

std::shared_ptr<const PluginSet> PluginCheck::load(const Settings& settings) {
    return PluginLoader(pluginManifestOf(settings), _config, _runtime).load(++_generation);
}

bool PluginCheck::checkPlugin(const PluginSettings& plugin) {
    const std::string name = "plugin " + plugin.id;
    Settings alone = _settings;
    alone.plugins = {plugin};
    alone.serializer = _settings.serializer == plugin.id ? plugin.id : "";
    alone.routing = _settings.routing == plugin.id ? plugin.id : "";
    alone.inbox.consumers.clear();
    try {
        auto set = load(alone);
        const auto& lib = *set->libraries.front();
        std::string detail = lib.sourcePath() + ": " + lib.abi().name + " " + lib.abi().version +
                             ", SDK ABI " + std::to_string(lib.abi().sdkAbi);
        if (auto c = lib.serializerClasses(); !c.empty())
            detail += "; serializer " + listed(c);
        if (auto c = lib.routingClasses(); !c.empty())
            detail += "; routing " + listed(c);
        for (const auto& handler : set->handlers)
            detail += "; handler " + handler.className + " (" + listed(handler.messageNames) + ")";
        _report.ok(name, detail);
        return true;
    } catch (...) {
        _report.fail(name, currentErrorText());
        return false;
    }
}

void PluginCheck::checkBusPlugins() {
    Settings withoutConsumers = _settings;
    withoutConsumers.inbox.consumers.clear();
    std::shared_ptr<const PluginSet> set;
    try {
        set = load(withoutConsumers);
    } catch (...) {
        _report.fail("bus plugins", currentErrorText());
        return;
    }
    // The relay encodes and routes every row; consumers decode every delivery.
    const bool relay = _settings.outbox.workers > 0;
    const bool consumers = !_settings.inbox.consumers.empty();
    if (set->serializer)
        _report.ok("bus.serializer", "plugin " + set->serializerPlugin);
    else if (relay || consumers)
        _report.fail("bus.serializer", "no plugin exports a serializer: the relay and the "
                                       "consumers need one (e.g. plugin.json.library = "
                                       "libmsgbus-json.so)");
    else
        _report.info("bus.serializer", "none (no relay, no consumers)");
    if (set->routing)
        _report.ok("bus.routing", "plugin " + set->routingPlugin);
    else if (relay)
        _report.fail("bus.routing", "no plugin exports a routing strategy: the relay needs one "
                                    "(e.g. plugin.routing.library = libmsgbus-routing.so)");
    else
        _report.info("bus.routing", "none (outbox.workers = 0)");
}

void PluginCheck::checkConsumer(const ConsumerSettings& consumer) {
    const std::string name = "consumer " + consumer.name;
    Settings one = _settings;
    one.inbox.consumers = {consumer};
    try {
        auto set = load(one);
        std::vector<std::string> names;
        for (const auto& [messageName, binding] : set->dispatch.at(consumer.name))
            names.push_back(messageName + " (" + binding->pluginId + "/" + binding->className +
                            ")");
        _report.ok(name, "queue " + consumer.queue + ", handlers for " + listed(names));
    } catch (...) {
        _report.fail(name, currentErrorText());
    }
}

} // namespace msgbus::core::cli
