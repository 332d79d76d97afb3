#pragma once

#include <msgbus/BatchHandler.h>
#include <msgbus/Handler.h>
#include <msgbus/PluginAbi.h>
#include <msgbus/RoutingStrategy.h>
#include <msgbus/Serializer.h>

#include <Poco/Manifest.h>

#include <memory>
#include <string>
#include <vector>

namespace msgbus::core {

/// One plugin library, opened with dlopen(RTLD_NOW | RTLD_LOCAL) from its private copy.
///
/// Opening checks the ABI block before any code of the library beyond its ELF constructors runs
/// (pocoInitializeLibrary and the manifests come after), then builds the named manifests
/// Serializers, RoutingStrategies and Handlers (each optional). Objects are created through
/// create(), whose shared_ptr deleter holds the library: the image stays mapped while any object
/// made from it lives. The destructor deletes the manifests (their
/// MetaObjects are code of the library), calls pocoUninitializeLibrary and dlcloses.
class LoadedLibrary : public std::enable_shared_from_this<LoadedLibrary> {
public:
    /// pluginId and sourcePath are for messages; loadPath is what is dlopened. loadedFrom owns
    /// the file at loadPath (its generation directory): it is released only after dlclose, so
    /// the copy is removed once the library is unmapped, never while it is in use.
    /// Throws PluginError naming the plugin, the file and the problem.
    static std::shared_ptr<LoadedLibrary> open(const std::string& pluginId,
                                               const std::string& sourcePath,
                                               const std::string& loadPath,
                                               std::shared_ptr<const void> loadedFrom = nullptr);
    ~LoadedLibrary();
    LoadedLibrary(const LoadedLibrary&) = delete;
    LoadedLibrary& operator=(const LoadedLibrary&) = delete;

    const std::string& pluginId() const noexcept { return _pluginId; }
    const std::string& sourcePath() const noexcept { return _sourcePath; }
    const std::string& loadPath() const noexcept { return _loadPath; }
    const MsgbusPluginAbi& abi() const noexcept { return *_abi; }

    std::vector<std::string> serializerClasses() const;
    std::vector<std::string> routingClasses() const;
    std::vector<std::string> handlerClasses() const;

    std::shared_ptr<Serializer> createSerializer(const std::string& className);
    std::shared_ptr<RoutingStrategy> createRouting(const std::string& className);
    std::shared_ptr<Handler> createHandler(const std::string& className);

    /// What the host requires of a library's ABI block, as "field: plugin X, host Y", or "".
    static std::string abiMismatch(const MsgbusPluginAbi& abi);

private:
    LoadedLibrary(std::string pluginId, std::string sourcePath, std::string loadPath);
    template <class Base>
    static std::vector<std::string> names(const Poco::Manifest<Base>* manifest);
    template <class Base>
    std::shared_ptr<Base> create(const Poco::Manifest<Base>* manifest, const char* kind,
                                 const std::string& className);
    template <class Base> std::unique_ptr<Poco::Manifest<Base>> buildManifest(const char* symbol);
    void* symbol(const char* name) const noexcept;

    /// First member, so destroyed last: after the destructor's dlclose.
    std::shared_ptr<const void> _loadedFrom;
    std::string _pluginId;
    std::string _sourcePath;
    std::string _loadPath;
    void* _handle = nullptr;
    const MsgbusPluginAbi* _abi = nullptr;
    /// pocoInitializeLibrary ran (or there is none): only then does pocoUninitializeLibrary run.
    /// A library refused by the ABI check never has any of its functions called.
    bool _initialized = false;
    std::unique_ptr<Poco::Manifest<Serializer>> _serializers;
    std::unique_ptr<Poco::Manifest<RoutingStrategy>> _routing;
    std::unique_ptr<Poco::Manifest<Handler>> _handlers;
};

} // namespace msgbus::core
