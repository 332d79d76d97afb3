#pragma once

#include "core/config/Settings.h"
#include "core/db/Database.h"
#include "core/host/AdminHttpServer.h"
#include "core/host/DatabaseGauges.h"
#include "core/host/HeartbeatWriter.h"
#include "core/metrics/Metrics.h"
#include "core/outbox/DoorbellListener.h"
#include "core/outbox/RelayWakeup.h"
#include "core/plugins/PluginRegistry.h"
#include "core/plugins/PluginRuntimeDir.h"
#include "core/tracing/SpanExporter.h"
#include "core/util/StopToken.h"

#include <Poco/AutoPtr.h>
#include <Poco/Util/LayeredConfiguration.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace msgbus::core {

/// The running host: the database pool, the current plugin generation, the outbox relay
/// threads and one thread per inbox consumer.
///
/// start() loads generation 1 (any plugin error throws, naming the plugin) and starts the
/// workers; reloadPlugins() builds a complete new generation from the re-read properties file
/// and publishes it, keeping the old one when anything fails; stop() asks every worker to finish
/// the batch in hand (commit, ack) and joins them. Control methods are called from one thread.
class Host {
public:
    Host(Poco::AutoPtr<Poco::Util::LayeredConfiguration> config, Settings settings,
         std::string configPath);
    ~Host();

    void start();
    void stop();
    /// Returns false (and logs why) when the new generation could not be built.
    bool reloadPlugins();

    Database& database() { return *_database; }
    PluginRegistry& plugins() { return _plugins; }
    Metrics& metrics() { return _metrics; }
    const Settings& settings() const { return _settings; }
    /// This host's id in host.table (empty until its first beat was written).
    std::string hostId() const { return _heartbeat ? _heartbeat->id() : std::string(); }
    /// Before start(): the operations endpoint also serves what extension answers (the
    /// console, with console.enabled). Ignored when http.port is 0.
    void serveOnAdminPort(decltype(AdminHttpServer::Probes::extension) extension) {
        _adminExtension = std::move(extension);
    }

    /// The port the operations endpoint listens on, or 0 when it is off or not started.
    int httpPort() const { return _http ? _http->port() : 0; }

private:
    Poco::AutoPtr<Poco::Util::LayeredConfiguration> _config;
    Settings _settings;
    std::string _configPath;
    std::unique_ptr<Database> _database;
    /// Where every generation's library copies go (plugins.runtime_dir is not reloaded).
    std::shared_ptr<PluginRuntimeDir> _runtimeDir;
    PluginRegistry _plugins;
    Metrics _metrics;
    StopToken _stop;
    /// Rung by handlers that published and by the doorbell, so the relays do not wait for their
    /// next poll.
    RelayWakeup _relayWakeup;
    /// Set while the relays run and outbox.doorbell is (and could be bound).
    std::unique_ptr<DoorbellListener> _doorbell;
    std::vector<std::thread> _threads;
    std::atomic<std::uint64_t> _generation{0};
    mutable std::mutex _reloadMutex;
    std::string _lastReloadError;
    std::unique_ptr<DatabaseGauges> _gauges;
    std::unique_ptr<AdminHttpServer> _http;
    decltype(AdminHttpServer::Probes::extension) _adminExtension;
    std::unique_ptr<SpanExporter> _spans; ///< set when tracing.otlp.endpoint is
    std::unique_ptr<HeartbeatWriter> _heartbeat;

    void startHeartbeat();
    /// With dedup.partitioning = daily: the thread of the partition maintenance.
    void startMaintenance();
    void listenForRings(int relays);
    std::string renderMetrics();
    std::string renderHealth() const;
    bool isReady(std::string& reason) const;
};

} // namespace msgbus::core
