#pragma once

#include "core/amqp/Topology.h"
#include "core/config/ConsoleSettings.h"
#include "core/db/DatabaseSettings.h"
#include "core/db/Partitioning.h"
#include "core/db/Schema.h"
#include "core/util/HttpClientOptions.h"

#include <msgbus/Doorbell.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace Poco::Util {
class AbstractConfiguration;
}

namespace msgbus::core {

struct ExchangeSettings {
    std::string name;
    std::string type = "topic";
    bool operator==(const ExchangeSettings&) const = default;
};

struct QueueBinding {
    std::string exchange;
    std::string pattern;
    bool operator==(const QueueBinding&) const = default;
};

struct QueueSettings {
    std::string name;
    std::string type = "classic";               ///< amqp.queue.<name>.type: classic or quorum
    std::vector<amqp::QueueArgument> arguments; ///< amqp.queue.<name>.argument.<x-name>
    std::vector<QueueBinding> bindings;

    /// Its x-delivery-limit, if configured: a quorum queue drops (or dead-letters) a message
    /// returned more often than this.
    std::optional<std::int64_t> deliveryLimit() const {
        for (const auto& argument : arguments)
            if (argument.name == "x-delivery-limit")
                if (const auto* limit = std::get_if<std::int64_t>(&argument.value))
                    return *limit;
        return std::nullopt;
    }
    bool operator==(const QueueSettings&) const = default;
};

struct AmqpSettings {
    /// amqp.url with amqp.user / amqp.password applied, validated and re-encoded: one URL per
    /// broker node, comma-separated; pass it to AmqpNodes::parse. It carries the password:
    /// never log it (log AmqpUrl::redacted() or AmqpNodes::endpoints()).
    std::string url;
    int heartbeatSeconds = 30;
    /// amqp.management.url: the rabbitmq_management listener (http(s)://host:15672, with user
    /// info when it logs in as another user than amqp.url's), for the unacked counts and
    /// consumer lag in `msgbus stats`; empty: not asked. May carry a password: log it only
    /// through redactedUrl().
    std::string managementUrl;
    /// amqp.management.ca_file and amqp.management.allow_insecure_http.
    HttpClientOptions managementHttp;
    std::vector<ExchangeSettings> exchanges;
    std::vector<QueueSettings> queues;
    bool operator==(const AmqpSettings&) const = default;
};

struct PluginSettings {
    std::string id;
    std::string library;              ///< as written; resolved against plugins.dir
    std::vector<std::string> classes; ///< empty: every class the library exports
    bool operator==(const PluginSettings&) const = default;
};

struct OutboxSettings {
    std::string table = TableNames{}.outbox;
    int workers = 2;
    int batchSize = 1000;
    int confirmWindow = 2000;
    std::chrono::milliseconds pollInterval{50};
    std::chrono::milliseconds confirmTimeout{30000};
    int maxAttempts = 10;
    std::chrono::milliseconds retryDelay{1000}; ///< first backoff of a failing row (doubles)
    std::chrono::milliseconds maxRetryDelay{300000};
    bool ordered = false;
    int lanes = 8;
    std::size_t maxBodyBytes = OutboxWriter::Options{}.maxBodyBytes;
    /// Confirmed rows move to the delivered table (the audit trail) instead of being deleted.
    bool keepDelivered = false;
    /// outbox.doorbell: where the host listens for rings (Doorbell, after an application's
    /// commit) that wake its relays before their next poll; "" = off.
    std::string doorbell = Doorbell::kDefaultAddress;
    bool operator==(const OutboxSettings&) const = default;
};

struct ConsumerSettings {
    std::string name;
    std::string queue;
    int prefetch = 200;
    /// Batches in flight at once, each on its own database session; a partition key's
    /// messages stay on one of them, in queue order.
    int concurrency = 2;
    std::vector<std::string> plugins; ///< empty: every loaded handler
    /// A message whose x-partition-key has a head in the retry or failed table is parked
    /// behind it instead of running (SequenceStore), so a key's effects keep their order.
    bool ordered = false;
    bool operator==(const ConsumerSettings&) const = default;
};

struct InboxSettings {
    std::vector<ConsumerSettings> consumers;
    int batchSize = 200;
    std::chrono::milliseconds batchWait{5};
    /// A delivery that came back more often than this is stored as failed instead of being
    /// handled again (a message that crashes or stalls its consumer must not loop for ever).
    int maxRedeliveries = 5;
    /// How long a consumer holds its unsettled deliveries while its database is away before it
    /// gives them back once: under RabbitMQ's consumer_timeout (30 min by default), which would
    /// close the channel instead.
    std::chrono::milliseconds maxHold{25 * 60 * 1000};
    bool operator==(const InboxSettings&) const = default;
};

struct RetrySettings {
    int maxRetries = 3;
    std::chrono::milliseconds delay{1000};
    double multiplier = 2.0;
    std::chrono::milliseconds maxDelay{60000};
    /// How long a retry row taken for a run is held ("running") before another host may take
    /// it: the row comes due again this long after its host died.
    std::chrono::milliseconds lease{60000};
    bool operator==(const RetrySettings&) const = default;
};

/// host.*: how this host names itself in the hosts table and how often it beats there.
struct HostSettings {
    /// host.id; empty: the machine's host name (with ":<pid>" when another live host on the
    /// same database beats under that name already).
    std::string id;
    std::chrono::milliseconds heartbeat{5000};
    std::string table = TableNames{}.hosts;
    bool operator==(const HostSettings&) const = default;
};

/// Everything the host reads from the properties file, validated in one place.
///
/// load() reads every key the host knows (each one catalogued in ConfigKeys), applies the
/// defaults, checks types and ranges and throws ConfigError naming the first bad key. A default
/// is written once: as the initialiser of its field here. Keys it does not know are returned as
/// warnings (they are usually typos). Values are never logged: they may hold credentials.
struct Settings {
    /// Out of line: GCC 12 inlining every default into a Settings{} reports false
    /// -Wmaybe-uninitialized in its string members.
    Settings();

    DatabaseSettings db;
    AmqpSettings amqp;
    std::string pluginsDir;
    /// Where private copies of plugin libraries are made (plugins.runtime_dir); empty: a
    /// private temporary directory (see PluginRuntimeDir).
    std::string runtimeDir;
    std::vector<PluginSettings> plugins;
    std::string serializer; ///< plugin id
    std::string routing;    ///< plugin id
    OutboxSettings outbox;
    InboxSettings inbox;
    RetrySettings retry;
    std::string dedupTable = TableNames{}.dedup;
    /// dedup.retention: how long a deduplication row is kept (`cleanup:dedup`'s default age);
    /// never below minimumDedupRetention(retry). A message older than this may have lost its
    /// row, so `failed:retry` refuses it without --force.
    std::chrono::milliseconds dedupRetention{std::chrono::hours(7 * 24)};
    /// dedup.partitioning and dedup.partitions_ahead (the dedup and delivered tables).
    Partitioning partitioning;
    std::string failedTable = TableNames{}.failed;
    HostSettings host;
    int httpPort = 9464;
    std::string loggingFormat = "text";
    /// OTLP/HTTP endpoint for spans (http(s)://host:4318/v1/traces); "" = tracing off. May
    /// carry a password or an API key: log it only through redactedUrl().
    std::string otlpEndpoint;
    /// tracing.otlp.ca_file and tracing.otlp.allow_insecure_http.
    HttpClientOptions otlpHttp;
    std::string serviceName = "msgbus";
    ConsoleSettings console;

    /// config: the properties file layered over the system configuration (so
    /// ${system.env.NAME} expands); its keys are also what the unknown-key check looks at.
    /// warnings, when given, receives one line per key msgbus does not know.
    static Settings load(const Poco::Util::AbstractConfiguration& config,
                         std::vector<std::string>* warnings = nullptr);

    const PluginSettings* plugin(const std::string& id) const;

    bool operator==(const Settings&) const = default;
};

/// The plugin of that id in plugins, or null.
const PluginSettings* findPlugin(const std::vector<PluginSettings>& plugins, const std::string& id);

} // namespace msgbus::core
