#include "core/host/Host.h"

#include "core/config/ConfigLoader.h"
#include "core/inbox/InboxConsumer.h"
#include "core/inbox/RetryWorker.h"
#include "core/outbox/OutboxRelay.h"
#include "core/plugins/PluginLoader.h"

#include <Poco/Logger.h>

#include <filesystem>

namespace msgbus::core {

Host::Host(Poco::AutoPtr<Poco::Util::LayeredConfiguration> config, Settings settings,
           std::string configPath)
    : _config(std::move(config)), _settings(std::move(settings)),
      _configPath(std::move(configPath)), _database(std::make_unique<Database>(_settings.db)) {}

Host::~Host() {
    stop();
    _plugins.publish(nullptr);
    std::error_code ignored;
    std::filesystem::remove_all(_settings.runtimeDir, ignored);
}

void Host::start() {
    _plugins.publish(PluginLoader(_settings, _config).load(++_generation));
    auto& log = Poco::Logger::get("msgbus.host");

    int relays = _settings.outbox.workers;
    if (_database->dialect() == Dialect::SQLite && relays > 1) {
        // SQLite has one writer; a second relay would only wait on the first one's lock.
        log.information("SQLite: running 1 relay instead of outbox.workers = %d", relays);
        relays = 1;
    }
    for (int i = 0; i < relays; ++i)
        _threads.emplace_back([this, i] {
            OutboxRelay relay(*_database, _plugins, _settings, _metrics, i);
            relay.run(_stop);
        });
    // A handler that publishes wakes the relays: consume-transform-produce does not wait for
    // the next poll.
    auto wakeRelays = [this] { _stop.wake(); };
    for (const auto& consumer : _settings.inbox.consumers)
        _threads.emplace_back([this, &consumer, wakeRelays] {
            InboxConsumer inbox(*_database, _plugins, _settings, consumer, _metrics, wakeRelays);
            inbox.run(_stop);
        });
    if (!_settings.inbox.consumers.empty())
        _threads.emplace_back([this, wakeRelays] {
            RetryWorker retry(*_database, _plugins, _settings, _metrics, wakeRelays);
            retry.run(_stop);
        });
    log.information("started: %d relay(s), %z consumer(s), plugin generation %Lu", relays,
                    _settings.inbox.consumers.size(), static_cast<unsigned long long>(_generation));
}

void Host::stop() {
    _stop.requestStop();
    for (auto& thread : _threads)
        if (thread.joinable())
            thread.join();
    _threads.clear();
}

bool Host::reloadPlugins() {
    auto& log = Poco::Logger::get("msgbus.host");
    try {
        auto fresh = loadConfigurationFile(_configPath);
        Settings settings = Settings::load(*fresh);
        // The plugin manifest and plugin configuration come from the new file; worker settings
        // (threads, queues) need a restart and stay as they are.
        Settings merged = _settings;
        merged.plugins = settings.plugins;
        merged.pluginsDir = settings.pluginsDir;
        merged.serializer = settings.serializer;
        merged.routing = settings.routing;
        auto set = PluginLoader(merged, fresh).load(_generation + 1);
        ++_generation;
        _plugins.publish(set);
        Metrics::add(_metrics.reloads);
        log.information("reload: plugin generation %Lu is live",
                        static_cast<unsigned long long>(_generation));
        return true;
    } catch (const std::exception& e) {
        log.error("reload failed, keeping generation %Lu: %s",
                  static_cast<unsigned long long>(_generation), std::string(e.what()));
        return false;
    }
}

} // namespace msgbus::core
