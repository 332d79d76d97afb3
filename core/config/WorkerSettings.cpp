#include "core/config/WorkerSettings.h"

#include <Poco/Environment.h>
#include <Poco/Exception.h>
#include <Poco/Process.h>

namespace msgbus::core {
namespace {

BrokerSettings brokerOf(const Settings& settings) {
    return {settings.amqp.url, settings.amqp.heartbeatSeconds};
}

} // namespace

RelaySettings relaySettingsOf(const Settings& settings) {
    RelaySettings relay;
    relay.outbox = settings.outbox;
    relay.failedTable = settings.failedTable;
    relay.amqp = brokerOf(settings);
    if (settings.db.connector == "SQLite")
        relay.sqliteFile = settings.db.connection;
    return relay;
}

PipelineSettings pipelineSettingsOf(const Settings& settings) {
    PipelineSettings pipeline;
    pipeline.dedupTable = settings.dedupTable;
    pipeline.dedupPartitioned = settings.partitioning.daily;
    pipeline.failedTable = settings.failedTable;
    pipeline.outboxTable = settings.outbox.table;
    pipeline.maxBodyBytes = settings.outbox.maxBodyBytes;
    pipeline.retry = settings.retry;
    pipeline.maxRedeliveries = settings.inbox.maxRedeliveries;
    for (const auto& consumer : settings.inbox.consumers)
        if (consumer.ordered)
            pipeline.orderedConsumers.push_back(consumer.name);
    return pipeline;
}

bool PipelineSettings::isOrdered(const std::string& consumer) const {
    for (const auto& name : orderedConsumers)
        if (name == consumer)
            return true;
    return false;
}

InboxWorkerSettings inboxWorkerSettingsOf(const Settings& settings,
                                          const ConsumerSettings& consumer) {
    InboxWorkerSettings worker;
    worker.consumer = consumer;
    worker.inbox = settings.inbox;
    worker.inbox.consumers.clear();
    worker.amqp = brokerOf(settings);
    for (const auto& queue : settings.amqp.queues)
        if (queue.name == consumer.queue)
            worker.queueDeliveryLimit = queue.deliveryLimit();
    worker.pipeline = pipelineSettingsOf(settings);
    return worker;
}

RetryWorkerSettings retryWorkerSettingsOf(const Settings& settings) {
    RetryWorkerSettings worker;
    for (const auto& consumer : settings.inbox.consumers)
        worker.consumers.push_back(consumer.name);
    worker.pipeline = pipelineSettingsOf(settings);
    std::string name = settings.host.id;
    if (name.empty()) {
        try {
            name = Poco::Environment::nodeName();
        } catch (const Poco::Exception&) {
            name = "localhost";
        }
    }
    // The pid tells two hosts of one machine apart, and a restarted host from its old self.
    worker.leaseOwner = name + ":" + std::to_string(Poco::Process::id());
    return worker;
}

PluginManifest pluginManifestOf(const Settings& settings) {
    PluginManifest manifest;
    manifest.pluginsDir = settings.pluginsDir;
    manifest.runtimeDir = settings.runtimeDir;
    manifest.plugins = settings.plugins;
    manifest.serializer = settings.serializer;
    manifest.routing = settings.routing;
    manifest.consumers = settings.inbox.consumers;
    return manifest;
}

const PluginSettings* PluginManifest::plugin(const std::string& id) const {
    return findPlugin(plugins, id);
}

} // namespace msgbus::core
