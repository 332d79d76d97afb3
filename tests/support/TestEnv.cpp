#include "support/TestEnv.h"

#include "core/amqp/AmqpConnection.h"
#include "core/amqp/AmqpUrl.h"
#include "core/amqp/Topology.h"
#include "core/db/Database.h"

#include <Poco/Data/Session.h>
#include <Poco/Exception.h>

#include <amqp.h>

#include <Poco/StringTokenizer.h>
#include <Poco/Util/MapConfiguration.h>
#include <Poco/Util/SystemConfiguration.h>

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <unistd.h>

namespace msgbus::test {
namespace {

std::string requireEnv(const char* name) {
    const char* value = std::getenv(name);
    if (!value || !*value)
        CPPUNIT_FAIL(std::string(name) +
                     " is not set: run the tests with `./run test`, or start the services with "
                     "`./run services start` and `eval \"$(tests/support/services.sh env)\"`");
    return value;
}

} // namespace

std::string mysqlConnection() {
    return requireEnv("MSGBUS_TEST_MYSQL");
}
std::string amqpUrl() {
    return requireEnv("MSGBUS_TEST_AMQP_URL");
}
std::string managementUrl() {
    return requireEnv("MSGBUS_TEST_AMQP_MANAGEMENT_URL");
}
std::string pluginDir() {
    return requireEnv("MSGBUS_PLUGIN_DIR");
}
std::string buildDir() {
    return requireEnv("MSGBUS_BUILD_DIR");
}
std::string sourceDir() {
    return requireEnv("MSGBUS_SOURCE_DIR");
}
std::string msgbusBinary() {
    return buildDir() + "/core/msgbus";
}

std::string uniqueName(const std::string& prefix) {
    static std::atomic<int> counter{0};
    // The pid alone repeats: pids wrap at 32768 here, and a CI run starts thousands of
    // processes (the RabbitMQ tools among them) while the databases and queues of earlier
    // test processes stay. A random tag drawn once per process tells them apart.
    static const std::string tag = [] {
        char hex[9];
        std::snprintf(hex, sizeof hex, "%08x", std::random_device{}());
        return std::string(hex);
    }();
    return prefix + "_" + std::to_string(::getpid()) + tag + "_" + std::to_string(++counter);
}

std::string tempDir(const std::string& prefix) {
    auto dir = std::filesystem::temp_directory_path() / uniqueName("msgbus_" + prefix);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    // Not group- or world-writable whatever the umask: the host refuses such a
    // plugins.runtime_dir.
    namespace fs = std::filesystem;
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
    return dir.string();
}

Poco::AutoPtr<Poco::Util::LayeredConfiguration>
configFrom(const std::map<std::string, std::string>& properties) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> map(new Poco::Util::MapConfiguration);
    for (const auto& [key, value] : properties)
        map->setString(key, value);
    Poco::AutoPtr<Poco::Util::LayeredConfiguration> layered(new Poco::Util::LayeredConfiguration);
    layered->add(map, "file", 0, false);
    layered->add(new Poco::Util::SystemConfiguration, "system", 100, false);
    return layered;
}

std::string writeProperties(const std::string& path,
                            const std::map<std::string, std::string>& properties) {
    std::ofstream out(path);
    for (const auto& [key, value] : properties)
        out << key << " = " << value << "\n";
    return path;
}

std::map<std::string, std::string> baseProperties(const std::string& connector,
                                                  const std::string& connection,
                                                  const std::string& exchange,
                                                  const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> p{
        {"db.connector", connector},
        {"db.connection", connection},
        {"db.pool.max", "16"},
        {"amqp.url", amqpUrl()},
        {"plugins.dir", pluginDir()},
        {"plugins.runtime_dir", tempDir("runtime")},
        {"plugin.json.library", "libmsgbus-json.so"},
        {"plugin.routing.library", "libmsgbus-routing.so"},
        {"plugin.routing.config.exchange", exchange},
        {"bus.serializer", "json"},
        {"bus.routing", "routing"},
        {"outbox.table", uniqueName("outbox")},
        {"dedup.table", uniqueName("dedup")},
        {"failed.table", uniqueName("failed")},
        {"outbox.poll_interval_ms", "10"},
        {"http.port", "0"},
    };
    for (const auto& [key, value] : extra)
        p[key] = value;
    // The inbox suites run again with more batches in flight (CTest's *.concurrency4 tests):
    // every guarantee they check must hold for any concurrency.
    if (const char* lanes = std::getenv("MSGBUS_TEST_INBOX_CONCURRENCY"); lanes && *lanes)
        for (const auto& consumer : Poco::StringTokenizer(
                 p["inbox.consumers"], ",",
                 Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY))
            p.emplace("inbox.consumer." + consumer + ".concurrency", lanes);
    return p;
}

std::string createMysqlDatabase() {
    std::string base = mysqlConnection();
    core::Database::registerConnectors();
    std::string name = uniqueName("t");
    try {
        Poco::Data::Session session("MySQL", base);
        session << "CREATE DATABASE " + name + " CHARACTER SET utf8mb4", Poco::Data::Keywords::now;
    } catch (const Poco::Exception& e) {
        // Poco's what() is only "MySQL": say what the server said.
        throw std::runtime_error("creating the scratch database " + name + ": " + e.displayText());
    }
    auto pos = base.find("db=");
    if (pos == std::string::npos)
        return base + ";db=" + name;
    auto end = base.find(';', pos);
    return base.substr(0, pos) + "db=" + name + (end == std::string::npos ? "" : base.substr(end));
}

std::string createSqliteDatabase() {
    return tempDir("sqlite") + "/test.db";
}

void declareQueue(const std::string& exchange, const std::string& queue, const std::string& pattern,
                  const std::string& type,
                  const std::vector<core::amqp::QueueArgument>& arguments) {
    core::amqp::AmqpConnection connection(core::amqp::AmqpUrl::parse(amqpUrl()), {});
    core::amqp::TopologySpec spec;
    spec.exchanges.push_back({exchange, "topic", true});
    core::amqp::QueueSpec q;
    q.name = queue;
    q.type = type;
    q.arguments = arguments;
    q.bindings.push_back({exchange, pattern});
    spec.queues.push_back(q);
    core::amqp::declareTopology(connection, spec);
}

int queueDepth(const std::string& queue) {
    core::amqp::AmqpConnection connection(core::amqp::AmqpUrl::parse(amqpUrl()), {});
    amqp_queue_declare_ok_t* ok = amqp_queue_declare(connection.state(), connection.channel(),
                                                     amqp_cstring_bytes(queue.c_str()),
                                                     /*passive*/ 1, 0, 0, 0, amqp_empty_table);
    connection.checkRpcReply("queue.declare passive " + queue);
    return ok ? static_cast<int>(ok->message_count) : -1;
}

void deleteQueueAndExchange(const std::string& queue, const std::string& exchange,
                            const std::string& brokerUrls) {
    try {
        auto nodes = core::amqp::AmqpNodes::parse(brokerUrls.empty() ? amqpUrl() : brokerUrls);
        auto connection = core::amqp::connectToNextNode(nodes, {});
        if (!queue.empty()) {
            amqp_queue_delete(connection->state(), connection->channel(),
                              amqp_cstring_bytes(queue.c_str()), 0, 0);
            connection->checkRpcReply("queue.delete");
        }
        if (!exchange.empty()) {
            amqp_exchange_delete(connection->state(), connection->channel(),
                                 amqp_cstring_bytes(exchange.c_str()), 0);
            connection->checkRpcReply("exchange.delete");
        }
    } catch (const std::exception&) {
        // Cleanup only: a missing queue or exchange is fine.
    }
}

int runCommand(const std::string& command, std::string* output) {
    std::string full = command + " 2>&1";
    FILE* pipe = ::popen(full.c_str(), "r");
    if (!pipe)
        return -1;
    char buffer[4096];
    std::string text;
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe))
        text.append(buffer, n);
    int status = ::pclose(pipe);
    if (output)
        *output = text;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string runChecked(const std::string& command) {
    std::string output;
    const int rc = runCommand(command, &output);
    CPPUNIT_ASSERT_MESSAGE("`" + command + "` exited " + std::to_string(rc) + ":\n" + output,
                           rc == 0);
    return output;
}

std::string shellQuoted(const std::string& text) {
    std::string out = "'";
    for (char c : text)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string withoutLibraryPath(const std::string& command) {
    return "env -u LD_LIBRARY_PATH " + command;
}

int runCommandStdout(const std::string& command, std::string* output) {
    // A subshell, so that runCommand's own 2>&1 cannot undo the redirection.
    return runCommand("(" + command + " 2>/dev/null)", output);
}

} // namespace msgbus::test
