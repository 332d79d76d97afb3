#include "core/plugins/LoadedLibrary.h"

#include "core/plugins/PluginError.h"

#include <msgbus/Message.h>
#include <msgbus/WireMessage.h>

#include <Poco/Version.h>

#include <dlfcn.h>

namespace msgbus::core {
namespace {

using BuildManifestFunc = bool (*)(Poco::ManifestBase*);
using LifecycleFunc = void (*)();
using AbiFunc = const MsgbusPluginAbi* (*)();

std::string field(const char* name, std::uint64_t plugin, std::uint64_t host) {
    return std::string(name) + ": plugin " + std::to_string(plugin) + ", host " +
           std::to_string(host);
}

} // namespace

LoadedLibrary::LoadedLibrary(std::string pluginId, std::string sourcePath, std::string loadPath)
    : _pluginId(std::move(pluginId)), _sourcePath(std::move(sourcePath)),
      _loadPath(std::move(loadPath)) {}

std::string LoadedLibrary::abiMismatch(const MsgbusPluginAbi& abi) {
    if (abi.magic != MSGBUS_PLUGIN_ABI_MAGIC)
        return "bad ABI block magic (not a msgbus plugin?)";
    if (abi.sdkAbi != MSGBUS_SDK_ABI)
        return field("SDK ABI version", abi.sdkAbi, MSGBUS_SDK_ABI);
    if (abi.pocoVersion != POCO_VERSION)
        return field("Poco version", abi.pocoVersion, POCO_VERSION);
    if (abi.gxxAbi != __GXX_ABI_VERSION)
        return field("C++ ABI version", abi.gxxAbi, __GXX_ABI_VERSION);
    if (abi.cxx11Abi != _GLIBCXX_USE_CXX11_ABI)
        return field("_GLIBCXX_USE_CXX11_ABI", abi.cxx11Abi, _GLIBCXX_USE_CXX11_ABI);
    if (abi.messageSize != sizeof(msgbus::Message))
        return field("sizeof(msgbus::Message)", abi.messageSize, sizeof(msgbus::Message));
    if (abi.wireMessageSize != sizeof(msgbus::WireMessage))
        return field("sizeof(msgbus::WireMessage)", abi.wireMessageSize,
                     sizeof(msgbus::WireMessage));
    return "";
}

void* LoadedLibrary::symbol(const char* name) const noexcept {
    return ::dlsym(_handle, name);
}

template <class Base>
std::unique_ptr<Poco::Manifest<Base>> LoadedLibrary::buildManifest(const char* symbolName) {
    auto build = reinterpret_cast<BuildManifestFunc>(symbol(symbolName));
    if (!build)
        return nullptr;
    auto manifest = std::make_unique<Poco::Manifest<Base>>();
    if (!build(manifest.get()))
        throw PluginError("plugin '" + _pluginId + "' (" + _sourcePath + "): " + symbolName +
                          " refused the manifest (its base class does not match the host's)");
    return manifest;
}

std::shared_ptr<LoadedLibrary> LoadedLibrary::open(const std::string& pluginId,
                                                   const std::string& sourcePath,
                                                   const std::string& loadPath,
                                                   std::shared_ptr<const void> loadedFrom) {
    std::shared_ptr<LoadedLibrary> lib(new LoadedLibrary(pluginId, sourcePath, loadPath));
    lib->_loadedFrom = std::move(loadedFrom);
    const std::string where = "plugin '" + pluginId + "' (" + sourcePath + ")";
    // RTLD_NOW: a missing symbol fails here, not at a message. RTLD_LOCAL: two generations of a
    // plugin never bind to each other's symbols.
    lib->_handle = ::dlopen(loadPath.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib->_handle) {
        const char* error = ::dlerror();
        throw PluginError(where + ": cannot load: " + (error ? error : "unknown dlopen error"));
    }
    auto abiFunc = reinterpret_cast<AbiFunc>(lib->symbol(MSGBUS_PLUGIN_ABI_SYMBOL));
    if (!abiFunc)
        throw PluginError(where + ": no " MSGBUS_PLUGIN_ABI_SYMBOL
                                  " symbol; build it with msgbus_add_plugin() and MSGBUS_PLUGIN()");
    lib->_abi = abiFunc();
    if (!lib->_abi)
        throw PluginError(where + ": " MSGBUS_PLUGIN_ABI_SYMBOL " returned no ABI block");
    if (std::string mismatch = abiMismatch(*lib->_abi); !mismatch.empty())
        throw PluginError(where + ": ABI mismatch: " + mismatch);

    if (auto init = reinterpret_cast<LifecycleFunc>(lib->symbol("pocoInitializeLibrary"))) {
        try {
            init();
        } catch (const std::exception& e) {
            throw PluginError(where + ": pocoInitializeLibrary failed: " + e.what());
        } catch (...) {
            throw PluginError(where + ": pocoInitializeLibrary threw");
        }
    }
    lib->_initialized = true;
    lib->_serializers = lib->buildManifest<Serializer>("pocoBuildManifestSerializers");
    lib->_routing = lib->buildManifest<RoutingStrategy>("pocoBuildManifestRoutingStrategies");
    lib->_handlers = lib->buildManifest<Handler>("pocoBuildManifestHandlers");
    if (!lib->_serializers && !lib->_routing && !lib->_handlers)
        throw PluginError(where + ": exports no manifest (expected MSGBUS_HANDLERS, "
                                  "MSGBUS_SERIALIZERS or MSGBUS_ROUTING_STRATEGIES)");
    return lib;
}

LoadedLibrary::~LoadedLibrary() {
    // Order matters: the MetaObjects are code of this library.
    _serializers.reset();
    _routing.reset();
    _handlers.reset();
    if (_handle) {
        auto uninit = reinterpret_cast<LifecycleFunc>(symbol("pocoUninitializeLibrary"));
        if (_initialized && uninit) {
            try {
                uninit();
            } catch (...) {
                // A destructor must not throw; the library is closed all the same.
            }
        }
        ::dlclose(_handle);
    }
}

template <class Base>
std::vector<std::string> LoadedLibrary::names(const Poco::Manifest<Base>* manifest) {
    std::vector<std::string> out;
    if (manifest)
        for (auto it = manifest->begin(); it != manifest->end(); ++it)
            out.emplace_back((*it)->name());
    return out;
}

template <class Base>
std::shared_ptr<Base> LoadedLibrary::create(const Poco::Manifest<Base>* manifest, const char* kind,
                                            const std::string& className) {
    const std::string where = "plugin '" + _pluginId + "' (" + _sourcePath + ")";
    if (!manifest)
        throw PluginError(where + " exports no " + kind);
    auto it = manifest->find(className);
    if (it == manifest->end())
        throw PluginError(where + " has no " + kind + " class '" + className + "'");
    Base* raw = nullptr;
    try {
        raw = (*it)->create();
    } catch (const std::exception& e) {
        throw PluginError(where + ": constructor of " + className + " failed: " + e.what());
    } catch (...) {
        throw PluginError(where + ": constructor of " + className + " threw");
    }
    // The deleter keeps the library mapped for as long as the object lives.
    auto self = shared_from_this();
    return std::shared_ptr<Base>(raw, [self](Base* p) { delete p; });
}

std::vector<std::string> LoadedLibrary::serializerClasses() const {
    return names(_serializers.get());
}

std::vector<std::string> LoadedLibrary::routingClasses() const {
    return names(_routing.get());
}

std::vector<std::string> LoadedLibrary::handlerClasses() const {
    return names(_handlers.get());
}

std::shared_ptr<Serializer> LoadedLibrary::createSerializer(const std::string& className) {
    return create(_serializers.get(), "serializer", className);
}

std::shared_ptr<RoutingStrategy> LoadedLibrary::createRouting(const std::string& className) {
    return create(_routing.get(), "routing strategy", className);
}

std::shared_ptr<Handler> LoadedLibrary::createHandler(const std::string& className) {
    return create(_handlers.get(), "handler", className);
}

} // namespace msgbus::core
