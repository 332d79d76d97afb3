#include "core/config/Settings.h"

#include "core/amqp/AmqpNodes.h"
#include "core/config/ConfigError.h"
#include "core/config/ConfigReader.h"
#include "core/config/DefaultPluginDir.h"
#include "core/config/PartitionSettings.h"
#include "core/config/RetryHorizon.h"
#include "core/util/HttpEndpoint.h"

#include <msgbus/Error.h>
#include <msgbus/internal/DoorbellWire.h>
#include <msgbus/internal/SqlIdentifier.h>

#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>

namespace msgbus::core {
namespace {

using Poco::Util::AbstractConfiguration;

/// One name per SQLite file: "x.db", "./x.db", "dir/../x.db", a symlink to it or through a
/// symlinked directory all become the same absolute path. The relay's one-writer lock
/// (<file>.msgbus-relay.lock) is derived from this name, so two spellings of one file must not
/// give two locks, and with them two relays publishing the same rows.
std::string canonicalSqlitePath(const std::string& path) {
    // SQLite's own names: an in-memory database or a URI, which are not plain file paths.
    if (path == ":memory:" || path.rfind("file:", 0) == 0)
        return path;
    std::error_code error;
    auto canonical = std::filesystem::weakly_canonical(std::filesystem::absolute(path), error);
    return error ? path : canonical.string();
}

/// amqp.url with amqp.user / amqp.password applied, validated here so that a bad URL stops the
/// start-up with the key's name instead of failing later in a worker thread.
std::string amqpUrl(ConfigReader& read) {
    const std::string key = "amqp.url";
    std::string text = read.required(
        key, "amqp://user:password@host:port/vhost (comma-separated, one per cluster node)");
    auto user = read.secret("amqp.user");
    auto password = read.secret("amqp.password");
    try {
        // One URL per node of a cluster; the credentials keys apply to each.
        std::string list;
        const auto nodes = amqp::AmqpNodes::parse(text);
        for (auto url : nodes.urls()) {
            if (user || password)
                url = url.withCredentials(user.value_or(url.user()),
                                          password.value_or(url.password()));
            list += (list.empty() ? "" : ",") + url.text();
        }
        return list;
    } catch (const msgbus::InvalidArgument& e) {
        // AmqpUrl's messages never quote the user info, so they can be shown as they are.
        throw ConfigError(key, e.what());
    }
}

/// An HTTP client's URL (key) with <prefix>.ca_file and <prefix>.allow_insecure_http, checked
/// here as the client will (scheme, host, credentials in the clear, the CA file), so that a bad
/// one stops the start-up with the key's name. Every text shows the URL redacted: it may carry
/// a password or an API key.
std::string httpUrl(ConfigReader& read, const std::string& key, const std::string& prefix,
                    const std::string& expected, HttpClientOptions& options) {
    options.caFile = read.string(prefix + ".ca_file", options.caFile);
    options.allowInsecureKey = prefix + ".allow_insecure_http";
    options.allowInsecureHttp = read.boolean(options.allowInsecureKey, options.allowInsecureHttp);
    std::string url = read.string(key, "");
    if (url.empty())
        return url;
    try {
        HttpEndpoint check(url, options);
    } catch (const msgbus::InvalidArgument& e) {
        throw ConfigError(key, std::string(e.what()) + " (expected " + expected + ")");
    }
    return url;
}

/// amqp.queue.<q>.argument.<x-name>: an integer, true/false, or else a string. The arguments
/// RabbitMQ reads as numbers or booleans must be given as such: the broker would refuse the
/// queue, or ignore the limit, otherwise.
amqp::QueueArgument queueArgument(ConfigReader& read, const std::string& key) {
    amqp::QueueArgument argument;
    argument.name = key.substr(key.rfind('.') + 1);
    if (argument.name == "x-queue-type")
        throw ConfigError(key, "set the queue type with amqp.queue.<name>.type");
    if (argument.name.rfind("x-", 0) != 0)
        throw ConfigError(key, "'" + argument.name +
                                   "' is not a queue argument (they are named x-..., e.g. "
                                   "x-delivery-limit)");
    const std::string text = read.string(key, "");
    if (text.empty())
        throw ConfigError(key, "is empty");
    static const std::set<std::string> numeric{
        "x-delivery-limit", "x-max-length",   "x-max-length-bytes",         "x-message-ttl",
        "x-expires",        "x-max-priority", "x-quorum-initial-group-size"};
    static const std::set<std::string> flags{"x-single-active-consumer"};
    // Names and modes: text even when they read like a number or a boolean.
    static const std::set<std::string> texts{"x-dead-letter-exchange",
                                             "x-dead-letter-routing-key",
                                             "x-dead-letter-strategy",
                                             "x-overflow",
                                             "x-queue-leader-locator",
                                             "x-queue-master-locator",
                                             "x-queue-mode"};
    Poco::Int64 number = 0;
    if (texts.count(argument.name)) {
        argument.value = text;
    } else if (Poco::NumberParser::tryParse64(text, number)) {
        argument.value = static_cast<std::int64_t>(number);
        if (number < 0)
            throw ConfigError(key, std::to_string(number) + " is negative");
    } else if (text == "true" || text == "false") {
        argument.value = text == "true";
    } else {
        argument.value = text;
    }
    if (numeric.count(argument.name) && !std::holds_alternative<std::int64_t>(argument.value))
        throw ConfigError(key, "'" + text + "' is not a whole number");
    if (flags.count(argument.name) && !std::holds_alternative<bool>(argument.value))
        throw ConfigError(key, "'" + text + "' is not true or false");
    return argument;
}

void requireName(const std::string& key, const std::string& value) {
    // Plugin ids and consumer names become parts of keys, metric labels and dedup rows.
    bool ok = !value.empty() && value.size() <= 64;
    for (char c : value)
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-');
    if (!ok)
        throw ConfigError(key, "'" + value + "' is not a valid name ([A-Za-z0-9_-], 1-64 chars)");
}

void loadDatabase(ConfigReader& read, Settings& s) {
    s.db.connector = read.required("db.connector", "MySQL or SQLite");
    if (s.db.connector != "MySQL" && s.db.connector != "SQLite")
        throw ConfigError("db.connector", "'" + s.db.connector + "' is not MySQL or SQLite");
    s.db.connection =
        read.required("db.connection", s.db.connector == "SQLite"
                                           ? "the path of the SQLite database file"
                                           : "host=...;port=...;db=...;user=...;password=...");
    if (s.db.connector == "SQLite")
        s.db.connection = canonicalSqlitePath(s.db.connection);
    s.db.poolMax = read.integer32("db.pool.max", s.db.poolMax, 1, 1024);
    s.db.poolWait = read.millis("db.pool.wait_ms", s.db.poolWait, 1, 3600000);
    s.db.ioTimeout = read.millis("db.io_timeout_ms", s.db.ioTimeout, 0, 86400000);
}

void loadAmqp(ConfigReader& read, Settings& s) {
    s.amqp.url = amqpUrl(read);
    s.amqp.heartbeatSeconds = read.integer32("amqp.heartbeat", s.amqp.heartbeatSeconds, 0, 3600);
    s.amqp.managementUrl =
        httpUrl(read, "amqp.management.url", "amqp.management",
                "http(s)://host:port, the rabbitmq_management listener", s.amqp.managementHttp);
    for (const auto& name : read.children("amqp.exchange")) {
        ExchangeSettings exchange;
        exchange.name = name;
        exchange.type = read.string("amqp.exchange." + name + ".type", exchange.type);
        static const std::set<std::string> types{"topic", "direct", "fanout", "headers"};
        if (!types.count(exchange.type))
            throw ConfigError("amqp.exchange." + name + ".type",
                              "'" + exchange.type + "' is not topic, direct, fanout or headers");
        s.amqp.exchanges.push_back(exchange);
    }
    for (const auto& name : read.children("amqp.queue")) {
        QueueSettings queue;
        queue.name = name;
        const std::string prefix = "amqp.queue." + name;
        queue.type = read.string(prefix + ".type", queue.type);
        if (queue.type != "classic" && queue.type != "quorum")
            throw ConfigError(prefix + ".type", "'" + queue.type +
                                                    "' is not classic or quorum (the inbox "
                                                    "consumes with acks, which streams lack)");
        for (const auto& argument : read.children(prefix + ".argument"))
            queue.arguments.push_back(queueArgument(read, prefix + ".argument." + argument));
        const std::string key = prefix + ".bindings";
        for (const auto& binding : read.list(key)) {
            auto colon = binding.find(':');
            if (colon == std::string::npos || colon == 0)
                throw ConfigError(key, "binding '" + binding + "' is not <exchange>:<pattern>");
            queue.bindings.push_back({binding.substr(0, colon), binding.substr(colon + 1)});
        }
        s.amqp.queues.push_back(queue);
    }
}

void loadPlugins(ConfigReader& read, Settings& s) {
    s.pluginsDir = read.string("plugins.dir", defaultPluginDir());
    s.runtimeDir = read.string("plugins.runtime_dir", s.runtimeDir);
    for (const auto& id : read.children("plugin")) {
        requireName("plugin." + id, id);
        PluginSettings plugin;
        plugin.id = id;
        plugin.library = read.required("plugin." + id + ".library", "the plugin's .so file name");
        plugin.classes = read.list("plugin." + id + ".classes");
        s.plugins.push_back(plugin);
        // plugin.<id>.config.* belongs to the plugin; it validates its own keys.
        std::vector<std::string> own;
        read.collectLeaves("plugin." + id + ".config", own);
        for (const auto& key : own)
            read.has(key);
    }
    s.serializer = read.string("bus.serializer", s.serializer);
    s.routing = read.string("bus.routing", s.routing);
    for (const auto& [key, id] :
         {std::pair{"bus.serializer", s.serializer}, std::pair{"bus.routing", s.routing}}) {
        if (!id.empty() && !s.plugin(id))
            throw ConfigError(key, "names plugin '" + id + "', but no plugin." + id +
                                       ".library is configured");
    }
}

void loadOutbox(ConfigReader& read, Settings& s) {
    s.outbox.table = read.table("outbox.table", s.outbox.table);
    s.outbox.workers = read.integer32("outbox.workers", s.outbox.workers, 0, 64);
    s.outbox.batchSize = read.integer32("outbox.batch_size", s.outbox.batchSize, 1, 10000);
    s.outbox.confirmWindow =
        read.integer32("outbox.confirm_window", s.outbox.confirmWindow, 1, 65535);
    s.outbox.pollInterval = read.millis("outbox.poll_interval_ms", s.outbox.pollInterval, 1, 60000);
    s.outbox.confirmTimeout =
        read.millis("outbox.confirm_timeout_ms", s.outbox.confirmTimeout, 100, 600000);
    s.outbox.maxAttempts = read.integer32("outbox.max_attempts", s.outbox.maxAttempts, 1, 1000000);
    s.outbox.retryDelay = read.millis("outbox.retry_delay_ms", s.outbox.retryDelay, 0, 86400000);
    s.outbox.maxRetryDelay =
        read.millis("outbox.max_retry_delay_ms", s.outbox.maxRetryDelay, 0, 86400000LL * 7);
    s.outbox.ordered = read.boolean("outbox.ordered", s.outbox.ordered);
    s.outbox.lanes = read.integer32("outbox.lanes", s.outbox.lanes, 1, 1024);
    s.outbox.keepDelivered = read.boolean("outbox.keep_delivered", s.outbox.keepDelivered);
    s.outbox.maxBodyBytes = static_cast<std::size_t>(
        read.integer("outbox.max_body_bytes", static_cast<std::int64_t>(s.outbox.maxBodyBytes), 1,
                     static_cast<std::int64_t>(kMediumBlobBytes)));
    s.outbox.doorbell = read.string("outbox.doorbell", s.outbox.doorbell);
    if (!s.outbox.doorbell.empty()) {
        try {
            DoorbellAddress::parse(s.outbox.doorbell, "");
        } catch (const InvalidArgument& e) {
            throw ConfigError("outbox.doorbell", e.what());
        }
    }
}

void loadInbox(ConfigReader& read, Settings& s) {
    for (const auto& name : read.list("inbox.consumers")) {
        requireName("inbox.consumers", name);
        ConsumerSettings consumer;
        consumer.name = name;
        const std::string prefix = "inbox.consumer." + name;
        consumer.queue = read.required(prefix + ".queue", "the AMQP queue to consume");
        consumer.prefetch = read.integer32(prefix + ".prefetch", consumer.prefetch, 1, 65535);
        consumer.concurrency = read.integer32(prefix + ".concurrency", consumer.concurrency, 1, 64);
        consumer.plugins = read.list(prefix + ".plugins");
        consumer.ordered = read.boolean(prefix + ".ordered", consumer.ordered);
        for (const auto& id : consumer.plugins)
            if (!s.plugin(id))
                throw ConfigError(prefix + ".plugins",
                                  "names plugin '" + id + "', which is not configured");
        s.inbox.consumers.push_back(consumer);
    }
    s.inbox.batchSize = read.integer32("inbox.batch_size", s.inbox.batchSize, 1, 10000);
    s.inbox.batchWait = read.millis("inbox.batch_wait_ms", s.inbox.batchWait, 0, 10000);
    s.inbox.maxRedeliveries =
        read.integer32("inbox.max_redeliveries", s.inbox.maxRedeliveries, 1, 1000);
    s.inbox.maxHold = read.millis("inbox.max_hold_ms", s.inbox.maxHold, 1000, 86400000);

    s.retry.maxRetries = read.integer32("retry.max_retries", s.retry.maxRetries, 0, 1000);
    s.retry.delay = read.millis("retry.delay_ms", s.retry.delay, 0, 86400000);
    s.retry.multiplier = read.real("retry.multiplier", s.retry.multiplier, 1.0, 100.0);
    s.retry.maxDelay = read.millis("retry.max_delay_ms", s.retry.maxDelay, 0, 86400000LL * 7);
    s.retry.lease = read.millis("retry.lease_ms", s.retry.lease, 1, 86400000);
}

/// dedup.retention, after retry.*: it must outlive the retry schedule.
void loadDedupRetention(ConfigReader& read, Settings& s) {
    const std::string key = "dedup.retention";
    const auto minimum = minimumDedupRetention(s.retry);
    if (!read.has(key)) {
        // A long retry schedule raises the default instead of stopping a host whose file never
        // named the key: the default is only a floor that suits the default schedule.
        s.dedupRetention = std::max(s.dedupRetention, minimum);
        return;
    }
    s.dedupRetention = read.duration(key, s.dedupRetention);
    if (s.dedupRetention < minimum)
        // Cleaning a deduplication row before its message's last retry lets that retry (or a
        // redelivery) run the handlers a second time.
        throw ConfigError(key, durationText(s.dedupRetention) +
                                   " is shorter than the retry horizon: a message can still be "
                                   "retried up to " +
                                   durationText(retryHorizon(s.retry)) +
                                   " after its first delivery (retry.*); the minimum is " +
                                   durationText(minimum) + " (never less than 1h)");
}

void loadHost(ConfigReader& read, Settings& s) {
    s.dedupTable = read.table("dedup.table", s.dedupTable);
    loadDedupRetention(read, s);
    loadPartitioning(read, s);
    s.failedTable = read.table("failed.table", s.failedTable);
    s.host.id = read.string("host.id", s.host.id);
    if (s.host.id.size() > 200)
        throw ConfigError("host.id", "is longer than 200 characters");
    s.host.heartbeat = read.millis("host.heartbeat_ms", s.host.heartbeat, 100, 600000);
    s.host.table = read.table("host.table", s.host.table);
    s.httpPort = read.integer32("http.port", s.httpPort, 0, 65535);
    s.loggingFormat = read.string("logging.format", s.loggingFormat);
    if (s.loggingFormat != "text" && s.loggingFormat != "json")
        throw ConfigError("logging.format", "'" + s.loggingFormat + "' is not text or json");
    s.otlpEndpoint =
        httpUrl(read, "tracing.otlp.endpoint", "tracing.otlp",
                "OTLP over HTTP/JSON, e.g. http://127.0.0.1:4318/v1/traces", s.otlpHttp);
    s.serviceName = read.string("tracing.service_name", s.serviceName);
    s.console = loadConsoleSettings(read);
}

/// One warning per key in the file that no load step asked for.
void reportUnknownKeys(ConfigReader& read, std::vector<std::string>& warnings) {

    std::vector<std::string> leaves;
    for (const auto& root : read.children("")) {
        // Poco's own layers are not ours to judge.
        if (root == "system" || root == "application" || root == "env")
            continue;
        if (root == "logging") {
            // Poco's logging configuration (loggers, channels, formatters) is Poco's to read;
            // anything else under logging (logging.fromat) is ours, and a typo is named.
            for (const auto& child : read.children(root))
                if (child != "loggers" && child != "channels" && child != "formatters")
                    read.collectLeaves(root + "." + child, leaves);
            continue;
        }
        read.collectLeaves(root, leaves);
    }
    for (const auto& key : leaves) {
        if (read.known(key))
            continue;
        // A line without '=' or ':' becomes a key holding its whole text, which may be a
        // secret ("amqp.password s3cret"): such a key is described, never quoted.
        const bool plainKey = std::all_of(key.begin(), key.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
        });
        if (plainKey)
            warnings.push_back("unknown configuration key '" + key + "' (a typo?)");
        else
            warnings.push_back("a line under '" + key.substr(0, key.find('.')) +
                               "' is not a key = value pair (no '=' or ':'?); it is ignored");
    }
}

} // namespace

Settings::Settings() = default;

Settings Settings::load(const AbstractConfiguration& config, std::vector<std::string>* warnings) {
    ConfigReader read(config);
    Settings s;
    // In this order: a consumer's plugins must be known before the inbox is read.
    loadDatabase(read, s);
    loadAmqp(read, s);
    loadPlugins(read, s);
    loadOutbox(read, s);
    loadInbox(read, s);
    loadHost(read, s);
    if (warnings)
        reportUnknownKeys(read, *warnings);
    return s;
}

const PluginSettings* Settings::plugin(const std::string& id) const {
    return findPlugin(plugins, id);
}

const PluginSettings* findPlugin(const std::vector<PluginSettings>& plugins,
                                 const std::string& id) {
    auto it = std::find_if(plugins.begin(), plugins.end(),
                           [&](const PluginSettings& p) { return p.id == id; });
    return it == plugins.end() ? nullptr : &*it;
}

} // namespace msgbus::core
