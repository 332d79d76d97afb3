#pragma once

#include "core/config/Settings.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace msgbus::core {

// The slices of Settings the workers are given: each sees the keys it uses and nothing else,
// so what a configuration change can touch is read off a constructor. A slice is cut from a
// loaded Settings by the *Of functions below, never filled by hand: the defaults stay in the
// initialisers of Settings.h, and a slice's own fields are left empty until cut.
//
// Workers keep their slice by value (it is small): a slice cut for a thread outlives nothing.

/// The broker as one worker connects to it.
struct BrokerSettings {
    std::string url; ///< AmqpSettings::url: carries the password, never log it
    int heartbeatSeconds = 0;
};

/// One outbox relay: its section, the failed table its dead rows move to and its broker.
struct RelaySettings {
    OutboxSettings outbox;
    std::string failedTable;
    BrokerSettings amqp;
    /// SQLite: the database file, which names the relay's one-writer lock; empty on MySQL.
    std::string sqliteFile;
};

/// One consumer's message pipeline (MessageProcessor): the tables it writes, the outbox its
/// handlers publish through, and how it judges failures.
struct PipelineSettings {
    std::string dedupTable;
    /// dedup.partitioning = daily: the dedup table's key holds processed_at (DedupStore).
    bool dedupPartitioned = false;
    std::string failedTable;
    std::string outboxTable;
    std::size_t maxBodyBytes = 0; ///< outbox.max_body_bytes, for the handlers' OutboxWriter
    RetrySettings retry;
    int maxRedeliveries = 0;
    /// The consumers with inbox.consumer.<c>.ordered = true: their messages park behind a
    /// failed message of the same partition key.
    std::vector<std::string> orderedConsumers;

    bool isOrdered(const std::string& consumer) const;
};

/// One inbox consumer (an inbox.consumers entry).
struct InboxWorkerSettings {
    ConsumerSettings consumer;
    /// Batching and the redelivery limit (its consumers list is not the worker's business).
    InboxSettings inbox;
    BrokerSettings amqp;
    /// The x-delivery-limit the configuration declares on the consumed queue, if any.
    std::optional<std::int64_t> queueDeliveryLimit;
    PipelineSettings pipeline;
};

/// The retry worker: which consumers' rows this host retries, and their pipeline.
struct RetryWorkerSettings {
    std::vector<std::string> consumers;
    PipelineSettings pipeline;
    /// Written with each lease: "<host.id, else the machine's name>:<pid>".
    std::string leaseOwner;
};

/// What PluginLoader builds a plugin set from: the manifest (plugin.*, plugins.*, bus.*) and
/// the consumers whose dispatch tables it fills.
struct PluginManifest {
    std::string pluginsDir;
    std::string runtimeDir;
    std::vector<PluginSettings> plugins;
    std::string serializer; ///< plugin id
    std::string routing;    ///< plugin id
    std::vector<ConsumerSettings> consumers;

    const PluginSettings* plugin(const std::string& id) const;
};

RelaySettings relaySettingsOf(const Settings& settings);
PipelineSettings pipelineSettingsOf(const Settings& settings);
/// consumer: one of settings.inbox.consumers.
InboxWorkerSettings inboxWorkerSettingsOf(const Settings& settings,
                                          const ConsumerSettings& consumer);
RetryWorkerSettings retryWorkerSettingsOf(const Settings& settings);
PluginManifest pluginManifestOf(const Settings& settings);

} // namespace msgbus::core
