#pragma once

#include "core/cli/CheckReport.h"
#include "core/config/Settings.h"
#include "core/plugins/PluginRuntimeDir.h"
#include "core/plugins/PluginSet.h"

#include <Poco/AutoPtr.h>
#include <Poco/Util/LayeredConfiguration.h>

#include <memory>

namespace msgbus::core::cli {

/// The plugin part of `msgbus check`: plugins.dir, each configured plugin loaded on its own (so
/// that every broken plugin is named, not only the first) with the host's own PluginLoader (ABI
/// check, classes, configure()), then the bus serializer and routing strategy, and each consumer
/// with the handlers it dispatches to. Loading runs the plugins' configure(), as the host does.
class PluginCheck {
public:
    PluginCheck(const Settings& settings, Poco::AutoPtr<Poco::Util::LayeredConfiguration> config,
                CheckReport& report)
        : _settings(settings), _config(std::move(config)), _report(report) {}

    void run();

private:
    /// Loads plugin alone; false when it cannot be loaded (reported).
    bool checkPlugin(const PluginSettings& plugin);
    void checkBusPlugins();
    void checkConsumer(const ConsumerSettings& consumer);
    /// The set settings describe, loaded as a new generation in this check's runtime directory.
    std::shared_ptr<const PluginSet> load(const Settings& settings);

    const Settings& _settings;
    Poco::AutoPtr<Poco::Util::LayeredConfiguration> _config;
    CheckReport& _report;
    std::shared_ptr<PluginRuntimeDir> _runtime;
    std::uint64_t _generation = 0;
};

} // namespace msgbus::core::cli
