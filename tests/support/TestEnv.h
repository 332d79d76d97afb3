#pragma once

#include "core/amqp/Topology.h"

#include "core/config/Settings.h"

#include <Poco/AutoPtr.h>
#include <Poco/Util/LayeredConfiguration.h>

#include <map>
#include <string>

namespace msgbus::test {

/// Where the real services and the build are, from the environment `./run test` sets up.
/// Each accessor fails the test (CppUnit assertion) with a hint when the variable is missing:
/// integration tests never skip.
std::string mysqlConnection(); ///< MSGBUS_TEST_MYSQL
std::string amqpUrl();         ///< MSGBUS_TEST_AMQP_URL
std::string managementUrl();   ///< MSGBUS_TEST_AMQP_MANAGEMENT_URL (the single node's API)
std::string pluginDir();       ///< MSGBUS_PLUGIN_DIR (build/lib/plugins)
std::string buildDir();        ///< MSGBUS_BUILD_DIR
std::string sourceDir();       ///< MSGBUS_SOURCE_DIR
std::string msgbusBinary();    ///< build/core/msgbus

/// A name unique to this process and call, for tables, queues and exchanges: prefix_<pid>_<n>.
std::string uniqueName(const std::string& prefix);

/// A fresh temporary directory (removed by the caller or left for inspection under /tmp).
std::string tempDir(const std::string& prefix);

/// Properties text → a configuration as the host reads it (layered over the system config so
/// ${system.env.*} expands).
Poco::AutoPtr<Poco::Util::LayeredConfiguration>
configFrom(const std::map<std::string, std::string>& properties);

/// Writes properties to a file; returns its path.
std::string writeProperties(const std::string& path,
                            const std::map<std::string, std::string>& properties);

/// The properties of a MariaDB (connector "MySQL") or SQLite (connector "SQLite", file path as
/// connection) host with the json and routing plugins, unique table names and the given
/// exchange; extra entries override.
std::map<std::string, std::string>
baseProperties(const std::string& connector, const std::string& connection,
               const std::string& exchange, const std::map<std::string, std::string>& extra = {});

/// Creates a fresh MariaDB database (unique name) on the test server and returns the Poco
/// connection string for it; tests never share tables.
std::string createMysqlDatabase();

/// A fresh SQLite database file path in a temporary directory.
std::string createSqliteDatabase();

/// Declares a durable topic exchange and a queue bound to it with pattern.
void declareQueue(const std::string& exchange, const std::string& queue, const std::string& pattern,
                  const std::string& type = "classic",
                  const std::vector<core::amqp::QueueArgument>& arguments = {});

/// How many messages the queue holds (ready, not unacked), by a passive queue.declare.
int queueDepth(const std::string& queue);

/// Deletes the queue and the exchange (ignoring ones that do not exist).
void deleteQueueAndExchange(const std::string& queue, const std::string& exchange,
                            const std::string& brokerUrls = "");

/// Runs a shell command; returns its exit code and fills output (stdout+stderr) when given.
int runCommand(const std::string& command, std::string* output = nullptr);
/// Runs command; fails the test (CppUnit assertion) with its output unless it exits 0.
/// Returns the output.
std::string runChecked(const std::string& command);
/// text as one shell word, whatever it holds.
std::string shellQuoted(const std::string& text);
/// command run as a user would: without LD_LIBRARY_PATH, so only a binary's own RPATH counts.
std::string withoutLibraryPath(const std::string& command);
/// The same, with output holding stdout alone (the logs on stderr are dropped): what a script
/// reading `--json` output sees.
int runCommandStdout(const std::string& command, std::string* output);

} // namespace msgbus::test
