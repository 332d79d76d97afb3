#include "core/host/Host.h"
#include "core/util/ErrorText.h"

#include "core/config/ConfigLoader.h"
#include "core/config/PartitionSettings.h"
#include "core/db/PartitionLayout.h"
#include "core/host/PartitionMaintainer.h"
#include "core/inbox/InboxConsumer.h"
#include "core/inbox/RetryWorker.h"
#include "core/outbox/OutboxRelay.h"
#include "core/plugins/PluginLoader.h"
#include "core/util/Clock.h"
#include "core/util/RedactedUrl.h"

#include <msgbus/Error.h>
#include <msgbus/internal/Json.h>

#include <Poco/Logger.h>

namespace msgbus::core {
namespace {

/// Refuses to start (msgbus::Error) when the dedup or delivered table is partitioned otherwise
/// than dedup.partitioning says: under none, a partitioned dedup table would let a duplicate
/// recorded on another day run its handlers again. A database that does not answer is not a
/// reason to refuse (the host rides outages out); `msgbus check` reports the same.
void requirePartitioningAsConfigured(Database& database, const Settings& settings) {
    if (database.dialect() != Dialect::MySQL)
        return;
    std::vector<std::string> problems;
    try {
        auto session = database.session();
        problems = PartitionLayout(tableNamesOf(settings)).mismatches(*session);
    } catch (const std::exception& e) {
        Poco::Logger::get("msgbus.host")
            .warning("partitioning of the dedup and delivered tables not checked: %s",
                     errorText(e));
        return;
    }
    std::string text;
    for (const auto& problem : problems)
        text += (text.empty() ? "" : "\n") + problem;
    if (!text.empty())
        throw Error(text);
}

} // namespace

Host::Host(Poco::AutoPtr<Poco::Util::LayeredConfiguration> config, Settings settings,
           std::string configPath)
    : _config(std::move(config)), _settings(std::move(settings)),
      _configPath(std::move(configPath)), _database(std::make_unique<Database>(_settings.db)) {}

Host::~Host() {
    stop();
    // The copies and their directories go with the last reference to the plugin set.
    _plugins.publish(nullptr);
}

void Host::start() {
    requirePartitioningAsConfigured(*_database, _settings);
    _runtimeDir = PluginRuntimeDir::open(_settings.runtimeDir);
    _plugins.publish(
        PluginLoader(pluginManifestOf(_settings), _config, _runtimeDir).load(++_generation));
    auto& log = Poco::Logger::get("msgbus.host");
    if (!_settings.otlpEndpoint.empty() && !_spans) {
        SpanExporter::Options options;
        options.endpoint = _settings.otlpEndpoint;
        options.http = _settings.otlpHttp;
        options.serviceName = _settings.serviceName;
        _spans = std::make_unique<SpanExporter>(options);
        _metrics.spans = _spans.get();
        log.information("tracing: spans go to %s", redactedUrl(_settings.otlpEndpoint));
    }

    int relays = _settings.outbox.workers;
    if (_database->dialect() == Dialect::SQLite && relays > 1) {
        // SQLite has one writer; a second relay would only wait on the first one's lock.
        log.information("SQLite: running 1 relay instead of outbox.workers = %d", relays);
        relays = 1;
    }
    for (int i = 0; i < relays; ++i)
        _threads.emplace_back([this, i] {
            OutboxRelay relay(*_database, _plugins, relaySettingsOf(_settings), _metrics, i);
            relay.run(_stop, _relayWakeup);
        });
    listenForRings(relays);
    // A handler that publishes wakes the relays: consume-transform-produce does not wait for
    // the next poll.
    auto wakeRelays = [this] { _relayWakeup.wake(); };
    for (const auto& consumer : _settings.inbox.consumers)
        _threads.emplace_back([this, &consumer, wakeRelays] {
            InboxConsumer inbox(*_database, _plugins, inboxWorkerSettingsOf(_settings, consumer),
                                _metrics, wakeRelays);
            inbox.run(_stop);
        });
    if (!_settings.inbox.consumers.empty())
        _threads.emplace_back([this, wakeRelays] {
            RetryWorker retry(*_database, _plugins, retryWorkerSettingsOf(_settings), _metrics,
                              wakeRelays);
            retry.run(_stop);
        });
    if (_settings.httpPort > 0) {
        _gauges = std::make_unique<DatabaseGauges>(
            *_database, DatabaseGauges::Tables{_settings.outbox.table, _settings.failedTable});
        _http = std::make_unique<AdminHttpServer>(
            _settings.httpPort,
            AdminHttpServer::Probes{
                [this] { return renderMetrics(); }, [this] { return renderHealth(); },
                [this](std::string& reason) { return isReady(reason); }, _adminExtension});
        log.information("operations endpoint on http://127.0.0.1:%d (/metrics, /health, /ready%s)",
                        _http->port(), std::string(_adminExtension ? ", the console" : ""));
    }
    startMaintenance();
    startHeartbeat();
    log.information("started: %d relay(s), %z consumer(s), plugin generation %s", relays,
                    _settings.inbox.consumers.size(), std::to_string(_generation.load()));
}

void Host::listenForRings(int relays) {
    if (relays == 0 || _settings.outbox.doorbell.empty() || _doorbell)
        return;
    auto& log = Poco::Logger::get("msgbus.host");
    try {
        _doorbell = std::make_unique<DoorbellListener>(
            std::make_unique<DoorbellSocket>(_settings.outbox.doorbell), _settings.outbox.table,
            _relayWakeup, _metrics);
        log.information("doorbell: listening on %s", _settings.outbox.doorbell);
    } catch (const std::exception& e) {
        // An early wake-up is all a ring buys: without it the relays still poll, so the host
        // runs rather than refusing to start.
        log.warning("doorbell: not listening, the relays poll every %s ms: %s",
                    std::to_string(_settings.outbox.pollInterval.count()), errorText(e));
    }
}

void Host::stop() {
    _stop.requestStop();
    _doorbell.reset();
    _http.reset();
    _gauges.reset();
    for (auto& thread : _threads)
        if (thread.joinable())
            thread.join();
    _threads.clear();
    // Last: the host beats while it drains, and its row says stopped once it has.
    _heartbeat.reset();
    // After the workers: they record spans until they end. Sends what is queued.
    _metrics.spans = nullptr;
    _spans.reset();
}

bool Host::reloadPlugins() {
    auto& log = Poco::Logger::get("msgbus.host");
    try {
        auto fresh = loadConfigurationFile(_configPath);
        Settings settings = Settings::load(*fresh);
        // The plugin manifest and plugin configuration come from the new file; worker settings
        // (threads, queues) need a restart and stay as they are.
        PluginManifest merged = pluginManifestOf(_settings);
        merged.plugins = settings.plugins;
        merged.pluginsDir = settings.pluginsDir;
        merged.serializer = settings.serializer;
        merged.routing = settings.routing;
        auto set = PluginLoader(std::move(merged), fresh, _runtimeDir).load(_generation + 1);
        ++_generation;
        _plugins.publish(set);
        Metrics::add(_metrics.reloads);
        {
            std::lock_guard lock(_reloadMutex);
            _lastReloadError.clear();
        }
        if (_heartbeat)
            _heartbeat->beatSoon();
        log.information("reload: plugin generation %s is live", std::to_string(_generation.load()));
        return true;
    } catch (...) {
        // Plugin code can throw anything; a reload must never take the host down.
        const std::string error = currentErrorText();
        Metrics::add(_metrics.reloadFailures);
        {
            std::lock_guard lock(_reloadMutex);
            _lastReloadError = error;
        }
        log.error("reload failed, keeping generation %s: %s", std::to_string(_generation.load()),
                  error);
        return false;
    }
}

void Host::startMaintenance() {
    if (_settings.partitioning.daily)
        _threads.emplace_back([this] {
            PartitionMaintainer(*_database, tableNamesOf(_settings), _settings.dedupRetention)
                .run(_stop);
        });
}

void Host::startHeartbeat() {
    std::vector<std::string> consumers;
    for (const auto& consumer : _settings.inbox.consumers)
        consumers.push_back(consumer.name);
    _heartbeat = std::make_unique<HeartbeatWriter>(
        _settings.db, _settings.host, std::move(consumers), [this] {
            auto set = _plugins.current();
            return set ? std::pair{set->generation, pluginSetText(*set)}
                       : std::pair{std::uint64_t{0}, std::vector<std::string>{}};
        });
}

std::string Host::renderMetrics() {
    std::string out = _metrics.prometheus();
    auto gauge = [&out](const char* name, const char* help, double value) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n" + name +
               " " + std::to_string(value) + "\n";
    };
    gauge("msgbus_plugin_generation", "Plugin generation in use",
          static_cast<double>(_generation.load()));
    {
        // The /ready answer as a series, for alerting on it.
        std::string reason;
        gauge("msgbus_ready", "1 when the database and the broker answered within 15 s (/ready)",
              isReady(reason) ? 1.0 : 0.0);
    }
    gauge("msgbus_inbox_held_deliveries",
          "Deliveries the inbox consumers hold unsettled while their database is away",
          static_cast<double>(_metrics.heldDeliveries.total()));
    // Computed in the background: a scrape never waits for a pool session or a slow COUNT.
    if (auto values = _gauges ? _gauges->snapshot() : std::nullopt) {
        const std::int64_t now = nowMillis();
        gauge("msgbus_outbox_pending", "Rows waiting in the outbox",
              static_cast<double>(values->outboxPending));
        gauge("msgbus_outbox_oldest_pending_age_seconds", "Age of the oldest outbox row",
              values->oldestPendingCreatedAt
                  ? static_cast<double>(now - *values->oldestPendingCreatedAt) / 1000.0
                  : 0.0);
        gauge("msgbus_retry_rows", "Rows waiting for a retry",
              static_cast<double>(values->retryRows));
        gauge("msgbus_failed_rows", "Rows in the failed table",
              static_cast<double>(values->failedRows));
        gauge("msgbus_database_gauges_age_seconds",
              "Age of the outbox, retry and failed gauges (refreshed in the background)",
              static_cast<double>(now - values->computedAt) / 1000.0);
    }
    return out;
}

std::string Host::renderHealth() const {
    std::string error;
    {
        std::lock_guard lock(_reloadMutex);
        error = _lastReloadError;
    }
    return std::string("{\"status\":\"") + (error.empty() ? "ok" : "degraded") +
           "\",\"plugin_generation\":" + std::to_string(_generation.load()) +
           ",\"last_reload_error\":" + (error.empty() ? "null" : json::quote(error)) + "}\n";
}

bool Host::isReady(std::string& reason) const {
    // Workers report every successful database and broker round trip; idle ones poll several
    // times a second, so silence for this long means trouble.
    constexpr std::int64_t staleAfterMs = 15000;
    const std::int64_t now = Metrics::steadyMillis();
    // First: it says why, and it applies from the first second of an outage.
    if (std::string held = _metrics.heldDeliveries.describe(now); !held.empty()) {
        reason = held;
        return false;
    }
    if (now - _metrics.databaseOkAt.load() > staleAfterMs) {
        reason = "the database has not answered for 15 s";
        return false;
    }
    const bool usesBroker = _settings.outbox.workers > 0 || !_settings.inbox.consumers.empty();
    const std::string nodes = _metrics.brokerNodes.describe();
    if (usesBroker && now - _metrics.brokerOkAt.load() > staleAfterMs) {
        reason = "the broker has not answered for 15 s" + (nodes.empty() ? "" : " (" + nodes + ")");
        return false;
    }
    // Ready: the reason then says which broker node each connection uses.
    reason = nodes;
    return true;
}

} // namespace msgbus::core
