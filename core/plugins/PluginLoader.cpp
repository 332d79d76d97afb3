#include "core/plugins/PluginLoader.h"

#include "core/plugins/PluginError.h"
#include "core/plugins/PluginGenerationDir.h"

#include <msgbus/MessageName.h>

#include <Poco/Util/MapConfiguration.h>

#include <algorithm>
#include <filesystem>
#include <set>

namespace msgbus::core {
namespace {

bool selected(const PluginSettings& plugin, const std::string& className) {
    return plugin.classes.empty() || std::find(plugin.classes.begin(), plugin.classes.end(),
                                               className) != plugin.classes.end();
}

void copyTree(const Poco::Util::AbstractConfiguration& from, const std::string& fromKey,
              Poco::Util::MapConfiguration& to, const std::string& toKey) {
    if (!toKey.empty() && from.hasProperty(fromKey))
        to.setString(toKey, from.getString(fromKey));
    Poco::Util::AbstractConfiguration::Keys children;
    from.keys(fromKey, children);
    for (const auto& child : children)
        copyTree(from, fromKey + "." + child, to, toKey.empty() ? child : toKey + "." + child);
}

/// The plugin's own configuration: plugin.<id>.config.* without the prefix, ${...} expanded.
/// A copy, not a Poco::Util::ConfigurationView: in Poco 1.11 a view falls back to the
/// unprefixed key when the prefixed one is missing, so a plugin asking for "db.connection"
/// would read the host's credentials.
Poco::AutoPtr<Poco::Util::MapConfiguration>
pluginConfig(const PluginSettings& plugin, const Poco::Util::AbstractConfiguration& config) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> own(new Poco::Util::MapConfiguration);
    copyTree(config, "plugin." + plugin.id + ".config", *own, "");
    return own;
}

template <class Object>
void configureObject(Object& object, const PluginSettings& plugin, const std::string& className,
                     const Poco::Util::AbstractConfiguration::Ptr& config,
                     const std::string& sourcePath) {
    auto view = pluginConfig(plugin, *config);
    try {
        object.configure(*view);
    } catch (const std::exception& e) {
        throw PluginError("plugin '" + plugin.id + "' (" + sourcePath + "): " + className +
                          "::configure failed: " + e.what());
    } catch (...) {
        throw PluginError("plugin '" + plugin.id + "' (" + sourcePath + "): " + className +
                          "::configure threw");
    }
}

using ConfigPtr = Poco::Util::AbstractConfiguration::Ptr;

/// A library that exports a serializer or a routing strategy, for the bus's pick.
struct Candidate {
    std::string pluginId;
    std::shared_ptr<LoadedLibrary> lib;
};

/// plugin.<id>.classes may name only classes the library exports.
void checkRequestedClasses(const PluginSettings& plugin, const LoadedLibrary& lib,
                           const std::string& source) {
    auto all = lib.serializerClasses();
    auto routing = lib.routingClasses();
    auto handlers = lib.handlerClasses();
    all.insert(all.end(), routing.begin(), routing.end());
    all.insert(all.end(), handlers.begin(), handlers.end());
    for (const auto& requested : plugin.classes)
        if (std::find(all.begin(), all.end(), requested) == all.end())
            throw PluginError("plugin '" + plugin.id + "' (" + source + "): plugin." + plugin.id +
                              ".classes names '" + requested +
                              "', which the library does not export");
}

/// The library's selected handlers, made, configured and asked for their message names.
void bindHandlers(const PluginSettings& plugin, LoadedLibrary& lib, const std::string& source,
                  const ConfigPtr& config, PluginSet& set) {
    for (const auto& className : lib.handlerClasses()) {
        if (!selected(plugin, className))
            continue;
        HandlerBinding binding{plugin.id, className, lib.createHandler(className), {}, nullptr};
        // The type info of BatchHandler lives in libmsgbus-sdk.so, which host and plugin share.
        binding.batch = dynamic_cast<BatchHandler*>(binding.handler.get());
        configureObject(*binding.handler, plugin, className, config, source);
        try {
            binding.messageNames = binding.handler->messageNames();
        } catch (const std::exception& e) {
            throw PluginError("plugin '" + plugin.id + "': " + className +
                              "::messageNames failed: " + e.what());
        } catch (...) {
            throw PluginError("plugin '" + plugin.id + "': " + className +
                              "::messageNames threw something that is not a std::exception");
        }
        for (const auto& name : binding.messageNames)
            if (!isValidMessageName(name))
                throw PluginError("plugin '" + plugin.id + "': handler " + className +
                                  " declares invalid message name '" + name + "'");
        set.handlers.push_back(std::move(binding));
    }
}

/// The bus serializer or routing strategy: the configured plugin, or the only candidate.
const Candidate* pick(const std::vector<Candidate>& candidates, const std::string& configured,
                      const char* key, const char* kind) {
    if (!configured.empty()) {
        for (const auto& c : candidates)
            if (c.pluginId == configured)
                return &c;
        throw PluginError(std::string(key) + " = " + configured + ": plugin '" + configured +
                          "' exports no " + kind);
    }
    if (candidates.size() == 1)
        return &candidates.front();
    if (candidates.empty())
        return nullptr;
    throw PluginError(std::string("several plugins export a ") + kind + "; set " + key);
}

/// The first selected class of the picked library (none picked: object stays unset), made by
/// create and configured; classes and create are the library's list and factory of its kind.
template <class Object>
void makeBusObject(const Candidate* picked, const PluginManifest& manifest, const ConfigPtr& config,
                   std::vector<std::string> (LoadedLibrary::*classes)() const,
                   std::shared_ptr<Object> (LoadedLibrary::*create)(const std::string&),
                   std::shared_ptr<Object>& object, std::string& pluginId) {
    if (!picked)
        return;
    LoadedLibrary& lib = *picked->lib;
    const auto& plugin = *manifest.plugin(picked->pluginId);
    for (const auto& className : (lib.*classes)()) {
        if (!selected(plugin, className))
            continue;
        object = (lib.*create)(className);
        configureObject(*object, plugin, className, config, lib.sourcePath());
        pluginId = plugin.id;
        break;
    }
}

/// The bus serializer and routing strategy, made and configured.
void pickBusObjects(const PluginManifest& manifest, const ConfigPtr& config,
                    const std::vector<Candidate>& serializerLibs,
                    const std::vector<Candidate>& routingLibs, PluginSet& set) {
    makeBusObject(pick(serializerLibs, manifest.serializer, "bus.serializer", "serializer"),
                  manifest, config, &LoadedLibrary::serializerClasses,
                  &LoadedLibrary::createSerializer, set.serializer, set.serializerPlugin);
    makeBusObject(pick(routingLibs, manifest.routing, "bus.routing", "routing strategy"), manifest,
                  config, &LoadedLibrary::routingClasses, &LoadedLibrary::createRouting,
                  set.routing, set.routingPlugin);
}

/// Each consumer's message name -> handler table; a name claimed twice, or a consumer left
/// without handlers (its every message would be a failed row), is an error.
void buildDispatch(const PluginManifest& manifest, PluginSet& set) {
    for (const auto& consumer : manifest.consumers) {
        auto& table = set.dispatch[consumer.name];
        for (const auto& binding : set.handlers) {
            if (!consumer.plugins.empty() &&
                std::find(consumer.plugins.begin(), consumer.plugins.end(), binding.pluginId) ==
                    consumer.plugins.end())
                continue;
            for (const auto& name : binding.messageNames) {
                auto [it, inserted] = table.emplace(name, &binding);
                if (!inserted)
                    throw PluginError("consumer '" + consumer.name + "': message name '" + name +
                                      "' is claimed by both " + it->second->pluginId + "/" +
                                      it->second->className + " and " + binding.pluginId + "/" +
                                      binding.className + " (narrow with inbox.consumer." +
                                      consumer.name + ".plugins)");
            }
        }
        if (table.empty())
            throw PluginError(
                "consumer '" + consumer.name + "': no loaded handler takes any message for it" +
                (consumer.plugins.empty() ? std::string(" (no plugin exports a handler)")
                                          : " (inbox.consumer." + consumer.name + ".plugins)"));
    }
}

} // namespace

std::string PluginLoader::resolveLibraryPath(const std::string& pluginsDir,
                                             const std::string& library, const std::string& id) {
    namespace fs = std::filesystem;
    fs::path base = fs::weakly_canonical(fs::path(pluginsDir));
    fs::path candidate = fs::path(library).is_absolute() ? fs::path(library) : base / library;
    fs::path resolved = fs::weakly_canonical(candidate);
    auto rel = resolved.lexically_relative(base);
    if (rel.empty() || *rel.begin() == "..")
        throw PluginError("plugin '" + id + "': library '" + library +
                          "' resolves outside plugins.dir (" + base.string() + ")");
    if (!fs::is_regular_file(resolved))
        throw PluginError("plugin '" + id + "': library file " + resolved.string() +
                          " does not exist");
    return resolved.string();
}

std::shared_ptr<const PluginSet> PluginLoader::load(std::uint64_t generation) const {
    auto set = std::make_shared<PluginSet>();
    set->generation = generation;
    std::vector<Candidate> serializerLibs, routingLibs;

    // Throws ConfigError for an unsafe plugins.runtime_dir: a configuration error, not a plugin's.
    auto runtime = _runtime ? _runtime : PluginRuntimeDir::open(_manifest.runtimeDir);
    std::shared_ptr<PluginGenerationDir> copies;
    try {
        copies = runtime->newGeneration(generation);
    } catch (const std::exception& e) {
        throw PluginError("cannot make a directory for plugin generation " +
                          std::to_string(generation) + " in " + runtime->path() + ": " + e.what());
    }

    for (const auto& plugin : _manifest.plugins) {
        std::string source = resolveLibraryPath(_manifest.pluginsDir, plugin.library, plugin.id);
        std::string copy;
        try {
            copy = copies->copyIn(source, plugin.id);
        } catch (const std::exception& e) {
            throw PluginError("plugin '" + plugin.id + "' (" + source +
                              "): cannot make a private copy in " + copies->path() + ": " +
                              e.what());
        }
        auto lib = LoadedLibrary::open(plugin.id, source, copy, copies);
        set->libraries.push_back(lib);
        checkRequestedClasses(plugin, *lib, source);
        if (!lib->serializerClasses().empty())
            serializerLibs.push_back({plugin.id, lib});
        if (!lib->routingClasses().empty())
            routingLibs.push_back({plugin.id, lib});
        bindHandlers(plugin, *lib, source, _config, *set);
    }
    pickBusObjects(_manifest, _config, serializerLibs, routingLibs, *set);
    buildDispatch(_manifest, *set);
    return set;
}

} // namespace msgbus::core
