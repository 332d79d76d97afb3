#pragma once

#include "core/config/Settings.h"
#include "core/db/Database.h"
#include "core/metrics/Metrics.h"
#include "core/plugins/PluginRegistry.h"

#include <Poco/AutoPtr.h>
#include <Poco/Util/LayeredConfiguration.h>
#include <functional>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <sys/resource.h>

namespace msgbus::bench {

/// The services and the build, from the environment run-bench.sh sets up
/// (tests/support/services.sh env + MSGBUS_PLUGIN_DIR). Throws naming the variable when unset.
std::string requireEnv(const char* name);
std::string mysqlConnection(); ///< MSGBUS_TEST_MYSQL (its db= is replaced per scratch database)
std::string amqpUrl();         ///< MSGBUS_TEST_AMQP_URL
std::string pluginDir();       ///< MSGBUS_PLUGIN_DIR (<build>/lib/plugins)
/// A numeric knob (BENCH_ROWS, ...): the variable's value, else fallback.
long envInt(const char* name, long fallback);

/// The broker a figure runs against and the type of its scratch queue.
struct BrokerTarget {
    /// One URL, or the comma-separated URLs of one cluster's nodes (as amqp.url takes them).
    std::string urls;
    /// The scratch queue's type: "classic" or "quorum" (QueueSpec::type).
    std::string queueType = "classic";

    /// How many nodes urls names.
    std::size_t nodes() const;
    /// For figure labels: "" for a classic queue on one broker (the figures' usual setup,
    /// whose labels stay as they were), else e.g. "quorum queue on 3 nodes".
    std::string describe() const;
};
/// The single broker (amqpUrl()) with classic queues: every figure but "quorum".
BrokerTarget singleBroker();
/// The local three-node cluster (MSGBUS_TEST_CLUSTER_URLS) with quorum queues replicated on
/// every node. Throws, saying how to start the cluster, when the variable is unset.
BrokerTarget clusterQuorum();

/// prefix_<pid>_<n>: unique per process and call, for databases, tables, queues and exchanges.
std::string uniqueName(const std::string& prefix);

/// "bench: <name>: <value> <unit>" on stdout, flushed at once (the figures come minutes apart).
void report(const std::string& name, double value, const std::string& unit, int decimals = 0);
/// "bench: <name>: <ratio>[ (<comment>)]", two decimals.
void reportRatio(const std::string& name, double ratio, const std::string& comment = {});
/// "bench: note: <text>": context that is not a figure (settings, checks, noise).
void note(const std::string& text);

/// Seconds and milliseconds since construction (steady clock).
class Stopwatch {
public:
    Stopwatch() : _start(std::chrono::steady_clock::now()) {}
    double seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - _start).count();
    }
    double millis() const { return seconds() * 1000.0; }

private:
    std::chrono::steady_clock::time_point _start;
};

/// This process's CPU time (user + system, all its threads) since construction: what msgbus's
/// own code and its client libraries cost, without the broker's and the database's, which run
/// in processes of their own.
class CpuClock {
public:
    CpuClock() : _start(now()) {}
    double seconds() const { return now() - _start; }
    /// CPU seconds per 100,000 of count (0 when count is 0).
    double per100k(std::int64_t count) const {
        return count > 0 ? seconds() * 100000.0 / static_cast<double>(count) : 0.0;
    }

private:
    static double now() {
        rusage usage{};
        ::getrusage(RUSAGE_SELF, &usage);
        const auto secondsOf = [](const timeval& t) {
            return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
        };
        return secondsOf(usage.ru_utime) + secondsOf(usage.ru_stime);
    }
    double _start;
};

/// "<what>: N CPU s per 100k msgs", one line per CPU figure.
void reportCpu(const std::string& what, const CpuClock& cpu, std::int64_t messages);

/// The p-quantile (0..1) of values (sorted in place), nearest rank; 0 when empty.
double percentile(std::vector<double>& values, double p);

/// A MariaDB database created for one figure on the test server; dropped by the destructor.
class ScratchMysqlDatabase {
public:
    ScratchMysqlDatabase();
    ~ScratchMysqlDatabase();
    ScratchMysqlDatabase(const ScratchMysqlDatabase&) = delete;
    ScratchMysqlDatabase& operator=(const ScratchMysqlDatabase&) = delete;

    const std::string& name() const { return _name; }
    /// Poco connection string for it.
    const std::string& connection() const { return _connection; }

private:
    std::string _name;
    std::string _connection;
};

/// A SQLite database file in a fresh temporary directory; the directory is removed by the
/// destructor.
class ScratchSqliteFile {
public:
    ScratchSqliteFile();
    ~ScratchSqliteFile();
    ScratchSqliteFile(const ScratchSqliteFile&) = delete;
    ScratchSqliteFile& operator=(const ScratchSqliteFile&) = delete;

    const std::string& path() const { return _path; }

private:
    std::string _dir;
    std::string _path;
};

/// A durable topic exchange and a durable queue of target's queue type bound to it with
/// pattern, declared through target's nodes (a quorum queue with one replica per node); both
/// deleted by the destructor (their messages with them).
class ScratchQueue {
public:
    explicit ScratchQueue(const std::string& pattern = "#", BrokerTarget target = singleBroker());
    /// A second queue bound with pattern to other's exchange (which other keeps and deletes):
    /// a tap that receives a copy of what other receives.
    ScratchQueue(const std::string& pattern, const ScratchQueue& other);
    ~ScratchQueue();
    ScratchQueue(const ScratchQueue&) = delete;
    ScratchQueue& operator=(const ScratchQueue&) = delete;

    const std::string& exchange() const { return _exchange; }
    const std::string& queue() const { return _queue; }
    /// Ready messages in the queue (passive queue.declare).
    std::uint64_t messageCount() const;
    /// messageCount() once it is expected, else its last value after asking for up to 10 s: a
    /// quorum queue's count comes from its leader, which reports 0 when it is slow to answer.
    std::uint64_t settledMessageCount(std::uint64_t expected) const;
    void purge() const;
    const BrokerTarget& target() const { return _target; }

private:
    BrokerTarget _target;
    std::string _exchange;
    std::string _queue;
    bool _ownsExchange = true;
};

/// A host configuration for one figure, as `msgbus run` would read it from a properties file:
/// the json and routing plugins (routing to exchange), the bench handler plugin as plugin
/// "bench", default worker settings unless extra overrides them. Owns the settings, a database
/// pool and a loaded plugin generation. Not thread-safe apart from what Database and
/// PluginRegistry promise.
class BenchBus {
public:
    BenchBus(const std::string& connector, const std::string& connection,
             const std::string& exchange, const std::map<std::string, std::string>& extra = {});
    ~BenchBus();
    BenchBus(const BenchBus&) = delete;
    BenchBus& operator=(const BenchBus&) = delete;

    /// The first column of the first row of sql, as an integer.
    std::int64_t queryInt(const std::string& sql);
    void execute(const std::string& sql);

    /// The properties the configuration was built from (for a properties file that a `msgbus`
    /// command run by the figure reads).
    std::map<std::string, std::string> properties;
    Poco::AutoPtr<Poco::Util::LayeredConfiguration> config;
    core::Settings settings;
    std::unique_ptr<core::Database> database;
    core::PluginRegistry plugins;
    core::Metrics metrics;
};

/// Publishes messages bench.count messages (benchPayload, kPayloadBytes) to exchange through the
/// core publisher with bus's serializer, 1,000 per confirmed batch; returns msg/s. (Defined with
/// the inbox figures.)
double preload(BenchBus& bus, const std::string& exchange, std::int64_t messages,
               const std::function<std::string(std::int64_t)>& partitionKeyOf = {});

/// The JSON payload every figure sends: {"k":<k>,"pad":"xxx…"} padded to bytes (at least the
/// object without padding).
std::string benchPayload(std::int64_t k, std::size_t bytes);

/// The payload size of every figure's messages.
constexpr std::size_t kPayloadBytes = 200;

/// Puts count due rows named name into the outbox table with multi-row INSERTs (1,000 rows a
/// statement on MariaDB, 500 on SQLite) in transactions of 10,000 rows: the relay figures'
/// starting point, written much faster than any producer would.
void fillOutbox(core::Database& database, const std::string& table, const std::string& name,
                std::int64_t count);

} // namespace msgbus::bench
