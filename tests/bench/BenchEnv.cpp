#include "BenchEnv.h"

#include "core/amqp/AmqpConnection.h"
#include "core/amqp/AmqpNodes.h"
#include "core/amqp/Topology.h"
#include "core/config/PartitionSettings.h"
#include "core/db/Schema.h"
#include "core/db/Transaction.h"
#include "core/plugins/PluginLoader.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"

#include <msgbus/Id.h>

#include <Poco/Data/Session.h>
#include <Poco/Util/MapConfiguration.h>
#include <Poco/Util/SystemConfiguration.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unistd.h>
#include <utility>

namespace msgbus::bench {

using namespace Poco::Data::Keywords;

std::string requireEnv(const char* name) {
    const char* value = std::getenv(name);
    if (!value || !*value)
        throw std::runtime_error(std::string(name) +
                                 " is not set: run `./run bench`, or `eval \"$(tests/support/"
                                 "services.sh env)\"` and tests/bench/run-bench.sh");
    return value;
}

std::string mysqlConnection() {
    return requireEnv("MSGBUS_TEST_MYSQL");
}
std::string amqpUrl() {
    return requireEnv("MSGBUS_TEST_AMQP_URL");
}
std::string pluginDir() {
    return requireEnv("MSGBUS_PLUGIN_DIR");
}

long envInt(const char* name, long fallback) {
    const char* value = std::getenv(name);
    if (!value || !*value)
        return fallback;
    char* end = nullptr;
    long n = std::strtol(value, &end, 10);
    if (*end != '\0' || n < 0)
        throw std::runtime_error(std::string(name) + "='" + value +
                                 "' is not a non-negative integer");
    return n;
}

std::size_t BrokerTarget::nodes() const {
    return core::amqp::AmqpNodes::parse(urls).size();
}

std::string BrokerTarget::describe() const {
    const std::size_t n = nodes();
    if (queueType == "classic" && n == 1)
        return "";
    return queueType + " queue on " + std::to_string(n) + (n == 1 ? " node" : " nodes");
}

BrokerTarget singleBroker() {
    return {amqpUrl(), "classic"};
}

BrokerTarget clusterQuorum() {
    const char* urls = std::getenv("MSGBUS_TEST_CLUSTER_URLS");
    if (!urls || !*urls)
        throw std::runtime_error(
            "MSGBUS_TEST_CLUSTER_URLS is not set: this figure needs the local three-node "
            "RabbitMQ cluster; `./run bench` starts it, by hand: tests/support/services.sh "
            "cluster-start, then `eval \"$(tests/support/services.sh env)\"`");
    core::amqp::AmqpNodes::parse(urls); // a malformed list fails here, naming the node
    return {urls, "quorum"};
}

std::string uniqueName(const std::string& prefix) {
    static std::atomic<int> counter{0};
    return prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

void report(const std::string& name, double value, const std::string& unit, int decimals) {
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(decimals);
    out << "bench: " << name << ": " << value << (unit.empty() ? "" : " ") << unit;
    std::cout << out.str() << std::endl;
}

void reportRatio(const std::string& name, double ratio, const std::string& comment) {
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(2);
    out << "bench: " << name << ": " << ratio;
    if (!comment.empty())
        out << " (" << comment << ")";
    std::cout << out.str() << std::endl;
}

void reportCpu(const std::string& what, const CpuClock& cpu, std::int64_t messages) {
    report(what + " CPU", cpu.per100k(messages), "CPU s per 100k msgs", 2);
}

void note(const std::string& text) {
    std::cout << "bench: note: " << text << std::endl;
}

double percentile(std::vector<double>& values, double p) {
    if (values.empty())
        return 0.0;
    std::sort(values.begin(), values.end());
    auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
    return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

// ---------------------------------------------------------------- scratch services

ScratchMysqlDatabase::ScratchMysqlDatabase() : _name(uniqueName("bench")) {
    const std::string base = mysqlConnection();
    core::Database::registerConnectors();
    {
        Poco::Data::Session session("MySQL", base);
        session << "CREATE DATABASE " + _name + " CHARACTER SET utf8mb4", now;
    }
    auto pos = base.find("db=");
    if (pos == std::string::npos) {
        _connection = base + ";db=" + _name;
    } else {
        auto end = base.find(';', pos);
        _connection = base.substr(0, pos) + "db=" + _name +
                      (end == std::string::npos ? "" : base.substr(end));
    }
}

ScratchMysqlDatabase::~ScratchMysqlDatabase() {
    try {
        Poco::Data::Session session("MySQL", mysqlConnection());
        session << "DROP DATABASE IF EXISTS " + _name, now;
    } catch (const std::exception& e) {
        std::cerr << "bench: could not drop database " << _name << ": " << core::errorText(e)
                  << "\n";
    }
}

ScratchSqliteFile::ScratchSqliteFile() {
    auto dir = std::filesystem::temp_directory_path() / uniqueName("msgbus_bench_sqlite");
    std::filesystem::create_directories(dir);
    _dir = dir.string();
    _path = _dir + "/bench.db";
}

ScratchSqliteFile::~ScratchSqliteFile() {
    std::error_code ignored;
    std::filesystem::remove_all(_dir, ignored);
}

namespace {

std::unique_ptr<core::amqp::AmqpConnection> setupConnection(const BrokerTarget& target) {
    core::amqp::AmqpConnection::Options options;
    options.connectionName = "msgbus bench setup";
    auto nodes = core::amqp::AmqpNodes::parse(target.urls);
    return core::amqp::connectToNextNode(nodes, options);
}

} // namespace

ScratchQueue::ScratchQueue(const std::string& pattern, BrokerTarget target)
    : _target(std::move(target)), _exchange(uniqueName("bench_ex")), _queue(uniqueName("bench_q")) {
    auto connection = setupConnection(_target);
    core::amqp::TopologySpec spec;
    spec.exchanges.push_back({_exchange, "topic", true});
    core::amqp::QueueSpec queue;
    queue.name = _queue;
    queue.bindings.push_back({_exchange, pattern});
    queue.type = _target.queueType;
    // One replica on every node listed, stated rather than left to the broker's default, so
    // that the figure's label ("on 3 nodes") is what the broker does.
    if (queue.type == "quorum")
        queue.arguments.push_back(
            {"x-quorum-initial-group-size", static_cast<std::int64_t>(_target.nodes())});
    spec.queues.push_back(queue);
    core::amqp::declareTopology(*connection, spec);
}

ScratchQueue::ScratchQueue(const std::string& pattern, const ScratchQueue& other)
    : _target(other._target), _exchange(other._exchange), _queue(uniqueName("bench_tap")),
      _ownsExchange(false) {
    auto connection = setupConnection(_target);
    core::amqp::TopologySpec spec;
    core::amqp::QueueSpec queue;
    queue.name = _queue;
    queue.bindings.push_back({_exchange, pattern});
    queue.type = _target.queueType;
    spec.queues.push_back(queue);
    core::amqp::declareTopology(*connection, spec);
}

ScratchQueue::~ScratchQueue() {
    try {
        auto connection = setupConnection(_target);
        amqp_queue_delete(connection->state(), connection->channel(),
                          amqp_cstring_bytes(_queue.c_str()), 0, 0);
        connection->checkRpcReply("queue.delete " + _queue);
        if (!_ownsExchange)
            return;
        amqp_exchange_delete(connection->state(), connection->channel(),
                             amqp_cstring_bytes(_exchange.c_str()), 0);
        connection->checkRpcReply("exchange.delete " + _exchange);
    } catch (const std::exception& e) {
        std::cerr << "bench: could not delete queue/exchange " << _queue << ": "
                  << core::errorText(e) << "\n";
    }
}

std::uint64_t ScratchQueue::messageCount() const {
    auto connection = setupConnection(_target);
    auto* ok = amqp_queue_declare(connection->state(), connection->channel(),
                                  amqp_cstring_bytes(_queue.c_str()), /*passive*/ 1, 0, 0, 0,
                                  amqp_empty_table);
    connection->checkRpcReply("queue.declare (passive) " + _queue);
    return ok ? ok->message_count : 0;
}

std::uint64_t ScratchQueue::settledMessageCount(std::uint64_t expected) const {
    const auto giveUp = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        const auto count = messageCount();
        if (count == expected || std::chrono::steady_clock::now() >= giveUp)
            return count;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

void ScratchQueue::purge() const {
    auto connection = setupConnection(_target);
    amqp_queue_purge(connection->state(), connection->channel(),
                     amqp_cstring_bytes(_queue.c_str()));
    connection->checkRpcReply("queue.purge " + _queue);
}

// ---------------------------------------------------------------- the bus

BenchBus::BenchBus(const std::string& connector, const std::string& connection,
                   const std::string& exchange, const std::map<std::string, std::string>& extra) {
    properties = {
        {"db.connector", connector},
        {"db.connection", connection},
        {"amqp.url", amqpUrl()},
        {"plugins.dir", pluginDir()},
        {"plugins.runtime_dir",
         (std::filesystem::temp_directory_path() / uniqueName("msgbus_bench_runtime")).string()},
        {"plugin.json.library", "libmsgbus-json.so"},
        {"plugin.routing.library", "libmsgbus-routing.so"},
        {"plugin.routing.config.exchange", exchange},
        {"plugin.bench.library", "libmsgbus-bench-handlers.so"},
        {"bus.serializer", "json"},
        {"bus.routing", "routing"},
        {"http.port", "0"},
    };
    for (const auto& [key, value] : extra)
        properties[key] = value;

    Poco::AutoPtr<Poco::Util::MapConfiguration> map(new Poco::Util::MapConfiguration);
    for (const auto& [key, value] : properties)
        map->setString(key, value);
    config = new Poco::Util::LayeredConfiguration;
    config->add(map, "file", 0, false);
    config->add(new Poco::Util::SystemConfiguration, "system", 100, false);

    settings = core::Settings::load(*config);
    database = std::make_unique<core::Database>(settings.db);
    // As `msgbus setup` creates them: with the configured partitioning.
    core::Schema::apply(*database, core::tableNamesOf(settings));
    plugins.publish(core::PluginLoader(core::pluginManifestOf(settings), config).load(1));
}

BenchBus::~BenchBus() {
    plugins.publish(nullptr);
    database.reset();
    std::error_code ignored;
    std::filesystem::remove_all(settings.runtimeDir, ignored);
}

std::int64_t BenchBus::queryInt(const std::string& sql) {
    auto session = database->session();
    Poco::Int64 n = 0;
    *session << sql, into(n), now;
    return n;
}

void BenchBus::execute(const std::string& sql) {
    auto session = database->session();
    *session << sql, now;
}

// ---------------------------------------------------------------- outbox rows

std::string benchPayload(std::int64_t k, std::size_t bytes) {
    std::string head = "{\"k\":" + std::to_string(k) + ",\"pad\":\"";
    const std::size_t fixed = head.size() + 2; // closing quote and brace
    return head + std::string(bytes > fixed ? bytes - fixed : 0, 'x') + "\"}";
}

namespace {

std::string hexOf(const void* data, std::size_t size) {
    static const char digits[] = "0123456789abcdef";
    const auto* bytes = static_cast<const unsigned char*>(data);
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 0x0f];
    }
    return out;
}

} // namespace

void fillOutbox(core::Database& database, const std::string& table, const std::string& name,
                std::int64_t count) {
    const bool mysql = database.dialect() == core::Dialect::MySQL;
    const std::int64_t perStatement = mysql ? 1000 : 500;
    const std::int64_t perTransaction = 10000;
    auto session = database.session();
    std::int64_t done = 0;
    while (done < count) {
        core::Transaction tx(*session, database.dialect());
        const std::int64_t txEnd = std::min(count, done + perTransaction);
        while (done < txEnd) {
            const std::int64_t end = std::min(txEnd, done + perStatement);
            const std::int64_t created = core::nowMillis();
            std::string sql = "INSERT INTO " + table +
                              " (message_id, message_name, partition_key, headers, body, "
                              "created_at, available_at, attempts) VALUES ";
            sql.reserve(static_cast<std::size_t>(end - done) * (kPayloadBytes * 2 + 120));
            for (std::int64_t i = done; i < end; ++i) {
                const Id id = Id::generate();
                const std::string body = benchPayload(i, kPayloadBytes);
                if (i != done)
                    sql += ',';
                sql += "(X'" + hexOf(id.bytes().data(), id.bytes().size()) + "','" + name +
                       "',NULL,'{}',X'" + hexOf(body.data(), body.size()) + "'," +
                       std::to_string(created) + "," + std::to_string(created) + ",0)";
            }
            *session << sql, now;
            done = end;
        }
        tx.commit();
    }
}

} // namespace msgbus::bench
