#include "core/cli/Commands.h"

#include "core/amqp/AmqpConnection.h"
#include "core/amqp/AmqpUrl.h"
#include "core/amqp/Topology.h"
#include "core/cli/CommandLine.h"
#include "core/cli/ConsoleCommand.h"
#include "core/cli/Loaded.h"
#include "core/cli/Progress.h"
#include "core/cli/TimeArgument.h"
#include "core/config/ConfigLoader.h"
#include "core/config/PartitionSettings.h"
#include "core/config/SessionDemand.h"
#include "core/config/Settings.h"
#include "core/console/Console.h"
#include "core/db/Database.h"
#include "core/db/PartitionRotation.h"
#include "core/db/Schema.h"
#include "core/db/Transaction.h"
#include "core/failed/FailedStore.h"
#include "core/failed/FailureGroupBackfill.h"
#include "core/host/Host.h"
#include "core/host/SignalThread.h"
#include "core/inbox/InboxConsumer.h"
#include "core/outbox/OutboxRelay.h"
#include "core/outbox/OutboxStore.h"
#include "core/plugins/PluginLoader.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"
#include "core/util/Logging.h"

#include <msgbus/Error.h>
#include <msgbus/OutboxWriter.h>
#include <msgbus/internal/Json.h>

#include <Poco/Logger.h>
#include <Poco/Util/ConfigurationView.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <optional>
#include <set>

namespace msgbus::core::cli {
namespace {} // namespace

Loaded loadSettings(const CommandLine& line) {
    Loaded loaded;
    loaded.path = resolveConfigPath(line.value("config").value_or(""));
    loaded.config = loadConfigurationFile(loaded.path);
    std::vector<std::string> warnings;
    loaded.settings = Settings::load(*loaded.config, &warnings);
    configureLogging(loaded.settings.loggingFormat);
    for (const auto& warning : warnings)
        Poco::Logger::get("msgbus.config").warning("%s", warning);
    return loaded;
}

namespace {

TableNames tablesOf(const Settings& s) {
    return tableNamesOf(s);
}

amqp::TopologySpec topologyOf(const Settings& s) {
    amqp::TopologySpec spec;
    for (const auto& e : s.amqp.exchanges)
        spec.exchanges.push_back({e.name, e.type, true});
    for (const auto& q : s.amqp.queues) {
        amqp::QueueSpec queue;
        queue.name = q.name;
        queue.type = q.type;
        queue.arguments = q.arguments;
        for (const auto& b : q.bindings)
            queue.bindings.push_back({b.exchange, b.pattern});
        spec.queues.push_back(queue);
    }
    return spec;
}

} // namespace

std::string usage() {
    return "usage: msgbus <command> [options] [--config FILE]\n"
           "\n"
           "  run                          the host: relay, consumers; SIGHUP reloads plugins,\n"
           "                               SIGTERM/SIGINT finish the batch in hand and exit\n"
           "  consume outbox|inbox:<c> [--limit N] [--time-limit S]\n"
           "                               run one worker in the foreground\n"
           "  setup [--dump-sql] [--schema-only | --topology-only]\n"
           "                               create the tables and declare the AMQP topology\n"
           "  publish <name> <json> [--key K] [--header k=v]... [--delay D | --at T]\n"
           "                               write one event to the outbox; --delay 10m or\n"
           "                               --at 2026-11-26T14:00Z: published at that time\n"
           "  stats [--json]               outbox depth, oldest pending age, retry/failed rows\n"
           "  plugins [--json]             loaded libraries, ABI, classes, handled names\n"
           "  failed:list [--source S] [--name N] [--limit N] [--json]\n"
           "  failed:show <id> [--json]\n"
           "  failed:retry <id>... | --all [--source S] [--force]\n"
           "                               outbox rows go back to the outbox (same id); inbox\n"
           "                               rows get one more attempt by their consumer; never\n"
           "                               a cut body or a row a live host runs; a row older\n"
           "                               than dedup.retention needs --force\n"
           "  failed:remove <id>... | --all --force\n"
           "                               never a row a live host runs; removing the head\n"
           "                               of a parked key releases the key\n"
           "  failed:skip <id>...          release a parked key's head: its parked messages\n"
           "                               run next, the row stays as a failed row\n"
           "  parked:release <consumer> <key>\n"
           "                               release a stuck parked key whatever its head: its\n"
           "                               parked messages run next (the head's row stays)\n"
           "  cleanup:dedup [--older-than 7d] [--batch-size 1000] [--force]\n"
           "                               remove deduplication rows (default age:\n"
           "                               dedup.retention); an age shorter than the\n"
           "                               retry horizon (at least 1h) needs --force\n"
           "  outbox:list [--name N]... [--id ID]... [--since T] [--until T]\n"
           "              [--status pending|delivered|all] [--limit 100] [--json]\n"
           "                               rows still to be sent (with the time each is\n"
           "                               due), and deliveries kept by\n"
           "                               outbox.keep_delivered (time, exchange, routing key)\n"
           "  outbox:replay <id>... | --name N... --since T [--until T] [--dry-run]\n"
           "                               send delivered messages again with their ids\n"
           "  outbox:cancel <id>...        remove scheduled messages before they are due;\n"
           "                               exit 1 when one is due, tried or gone already\n"
           "  cleanup:outbox --older-than 7d [--batch-size 1000]\n"
           "                               remove kept deliveries; safe on several hosts\n"
           "                               T: an age (15m, 2h, 7d) or ISO-8601 "
           "(2026-11-26T14:00Z)\n"
           "  check [--json]               configuration, database and schema, broker nodes and\n"
           "                               topology, plugins and consumers; exit 1 on a FAIL\n"
           "  console [--listen 127.0.0.1:8089]\n"
           "                               the operator console (web): failed messages by group,\n"
           "                               retry/remove with the failed:* guards, audit trail\n"
           "\n"
           "--config defaults to $MSGBUS_CONFIG, else ./msgbus.properties.\n"
           "Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.\n"
           "--version (or version) prints the msgbus, plugin SDK ABI, Poco and rabbitmq-c "
           "versions.\n";
}

int setup(const std::vector<std::string>& args) {
    CommandLine line(args, {"config"}, {"dump-sql", "schema-only", "topology-only"});
    if (line.has("schema-only") && line.has("topology-only"))
        throw UsageError("--schema-only and --topology-only exclude each other");
    auto loaded = loadSettings(line);
    const auto& s = loaded.settings;
    const Dialect dialect = s.db.connector == "SQLite" ? Dialect::SQLite : Dialect::MySQL;
    if (line.has("dump-sql")) {
        for (const auto& sql : Schema::statements(dialect, tablesOf(s)))
            std::cout << sql << ";\n\n";
        return 0;
    }
    if (!line.has("topology-only")) {
        Database database(s.db);
        Schema::apply(database, tablesOf(s));
        std::cout << "schema: tables " << s.outbox.table << ", " << s.dedupTable << ", "
                  << s.failedTable << ", " << auditTableOf(s.failedTable) << " are in place\n";
        if (s.partitioning.daily) {
            // Adds only: dropping old days is the hosts' maintenance and the cleanup commands'.
            const auto pass = PartitionRotation(database, tablesOf(s), s.dedupRetention)
                                  .run(nowMillis(), std::chrono::seconds(60), false);
            std::cout << "schema: " << s.dedupTable << " and " << deliveredTableOf(s.outbox.table)
                      << " partitioned by day, "
                      << (pass.ran ? std::to_string(pass.added.size()) +
                                         " partition(s) added to reach " +
                                         std::to_string(s.partitioning.daysAhead) + " day(s) ahead"
                                   : std::string("another process's maintenance pass held the "
                                                 "lock (it adds the days ahead)"))
                      << "\n";
        }
        // Rows stored before the failure_group column existed: grouped now, so the console's
        // groups page reads them through its index.
        FailureGroupBackfill backfill(database, s.failedTable);
        if (const auto pending = backfill.pending(); pending > 0) {
            Progress progress("grouping failed rows", pending);
            const auto done =
                backfill.run(INT64_MAX, [&progress](std::int64_t n) { progress.advance(n); });
            std::cout << "schema: " << done << " failed row(s) given their failure group\n";
        }
    }
    if (!line.has("schema-only")) {
        amqp::AmqpConnection::Options options;
        options.connectionName = "msgbus setup";
        auto nodes = amqp::AmqpNodes::parse(s.amqp.url);
        auto connection = amqp::connectToNextNode(nodes, options);
        amqp::declareTopology(*connection, topologyOf(s));
        std::cout << "topology: " << s.amqp.exchanges.size() << " exchange(s), "
                  << s.amqp.queues.size() << " queue(s) declared\n";
    }
    return 0;
}

int publish(const std::vector<std::string>& args) {
    CommandLine line(args, {"config", "key", "header", "delay", "at"}, {});
    if (line.positional().size() != 2)
        throw UsageError("publish needs <name> <json>");
    auto loaded = loadSettings(line);
    Message message(line.positional()[0], line.positional()[1]);
    if (line.has("delay") && line.has("at"))
        throw UsageError("--delay and --at exclude each other");
    if (auto delay = line.value("delay"))
        message.setDelay(parseAge("--delay", *delay));
    if (auto at = line.value("at"))
        message.setDeliverAt(std::chrono::system_clock::time_point(
            std::chrono::milliseconds(parseIsoTime("--at", *at))));
    if (auto key = line.value("key"))
        message.setPartitionKey(*key);
    for (const auto& header : line.values("header")) {
        auto eq = header.find('=');
        if (eq == std::string::npos || eq == 0)
            throw UsageError("--header '" + header + "': expected key=value");
        message.setHeader(header.substr(0, eq), header.substr(eq + 1));
    }
    try {
        OutboxWriter::validate(message, loaded.settings.outbox.maxBodyBytes);
    } catch (const msgbus::InvalidArgument& e) {
        throw UsageError(e.what());
    }
    Database database(loaded.settings.db);
    auto session = database.session();
    Transaction tx(*session, database.dialect());
    OutboxWriter writer(*session,
                        {loaded.settings.outbox.table, loaded.settings.outbox.maxBodyBytes});
    Id id = writer.write(message);
    tx.commit();
    std::cout << id.toString() << "\n";
    return 0;
}

int plugins(const std::vector<std::string>& args) {
    CommandLine line(args, {"config"}, {"json"});
    auto loaded = loadSettings(line);
    auto set = PluginLoader(pluginManifestOf(loaded.settings), loaded.config).load(1);
    if (line.has("json")) {
        const auto list = [](const std::vector<std::string>& items) {
            std::string out = "[";
            for (std::size_t i = 0; i < items.size(); ++i)
                out += (i ? "," : "") + json::quote(items[i]);
            return out + "]";
        };
        std::string out = "{\"serializer\":" + json::quote(set->serializerPlugin) +
                          ",\"routing\":" + json::quote(set->routingPlugin) + ",\"plugins\":[";
        for (std::size_t i = 0; i < set->libraries.size(); ++i) {
            const auto& lib = set->libraries[i];
            const auto& abi = lib->abi();
            std::string handlers = "[";
            for (const auto& h : set->handlers)
                if (h.pluginId == lib->pluginId())
                    handlers += (handlers.size() > 1 ? "," : "") + std::string("{\"class\":") +
                                json::quote(h.className) + ",\"names\":" + list(h.messageNames) +
                                ",\"batch\":" + (h.batch ? "true" : "false") + "}";
            out +=
                (i ? "," : "") + std::string("{\"id\":") + json::quote(lib->pluginId()) +
                ",\"library\":" + json::quote(lib->sourcePath()) +
                ",\"name\":" + json::quote(abi.name) + ",\"version\":" + json::quote(abi.version) +
                ",\"sdk_abi\":" + std::to_string(abi.sdkAbi) +
                ",\"serializers\":" + list(lib->serializerClasses()) +
                ",\"routing\":" + list(lib->routingClasses()) + ",\"handlers\":" + handlers + "]}";
        }
        std::cout << out << "]}\n";
        set.reset();
        return 0;
    }
    for (const auto& lib : set->libraries) {
        const auto& abi = lib->abi();
        std::cout << lib->pluginId() << ": " << lib->sourcePath() << "\n"
                  << "  plugin " << abi.name << " " << abi.version << ", SDK ABI " << abi.sdkAbi
                  << "\n";
        for (const auto& c : lib->serializerClasses())
            std::cout << "  serializer " << c
                      << (set->serializerPlugin == lib->pluginId() ? " (bus.serializer)" : "")
                      << "\n";
        for (const auto& c : lib->routingClasses())
            std::cout << "  routing " << c
                      << (set->routingPlugin == lib->pluginId() ? " (bus.routing)" : "") << "\n";
        for (const auto& h : set->handlers) {
            if (h.pluginId != lib->pluginId())
                continue;
            std::cout << (h.batch ? "  batch handler " : "  handler ") << h.className << ":";
            for (const auto& n : h.messageNames)
                std::cout << " " << n;
            std::cout << "\n";
        }
    }
    // Removes this run's copies (and the private runtime directory), nothing else.
    set.reset();
    return 0;
}

int run(const std::vector<std::string>& args) {
    CommandLine line(args, {"config"}, {});
    auto loaded = loadSettings(line);
    requirePoolForHost(loaded.settings);
    // Declared before the host, so it outlives the host's admin endpoint that serves it.
    std::unique_ptr<console::Console> console;
    Host host(loaded.config, loaded.settings, loaded.path);
    console = consoleOnAdminPort(host, loaded);
    host.start();
    StopToken stopped;
    {
        SignalThread signals([&stopped] { stopped.requestStop(); },
                             [&host] { host.reloadPlugins(); });
        while (!stopped.sleepFor(std::chrono::hours(1))) {
        }
    }
    Poco::Logger::get("msgbus.host").information("stopping: finishing the batches in hand");
    host.stop();
    Poco::Logger::get("msgbus.host").information("stopped: %s", host.metrics().summary());
    return 0;
}

int consume(const std::vector<std::string>& args) {
    CommandLine line(args, {"config", "limit", "time-limit"}, {});
    if (line.positional().size() != 1)
        throw UsageError("consume needs outbox or inbox:<consumer>");
    const std::string target = line.positional()[0];
    const auto limit = static_cast<std::uint64_t>(line.integer("limit", 0));
    const auto timeLimit = line.integer("time-limit", 0);
    auto loaded = loadSettings(line);
    const auto& s = loaded.settings;
    const ConsumerSettings* consumer = nullptr;
    if (target.rfind("inbox:", 0) == 0) {
        std::string name = target.substr(6);
        for (const auto& c : s.inbox.consumers)
            if (c.name == name)
                consumer = &c;
        if (!consumer)
            throw UsageError("no consumer '" + name + "' in inbox.consumers");
    } else if (target != "outbox") {
        throw UsageError("consume: '" + target + "' is not outbox or inbox:<consumer>");
    }

    Database database(s.db);
    PluginRegistry registry;
    registry.publish(PluginLoader(pluginManifestOf(s), loaded.config).load(1));
    Metrics metrics;
    StopToken stop;
    SignalThread signals([&stop] { stop.requestStop(); }, {});
    std::thread timer;
    if (timeLimit > 0)
        timer = std::thread([&stop, timeLimit] {
            stop.sleepFor(std::chrono::seconds(timeLimit));
            stop.requestStop();
        });
    if (consumer) {
        InboxConsumer inbox(database, registry, inboxWorkerSettingsOf(s, *consumer), metrics, {});
        inbox.run(stop, limit);
    } else {
        OutboxRelay relay(database, registry, relaySettingsOf(s), metrics, 0);
        if (limit == 0) {
            relay.run(stop);
        } else {
            std::uint64_t done = 0;
            while (!stop.stopRequested() && done < limit) {
                int n = relay.relayBatch();
                done += static_cast<std::uint64_t>(n);
                if (n == 0)
                    stop.sleepFor(s.outbox.pollInterval);
            }
        }
    }
    stop.requestStop();
    if (timer.joinable())
        timer.join();
    std::cout << metrics.summary() << "\n";
    registry.publish(nullptr);
    return 0;
}

} // namespace msgbus::core::cli
