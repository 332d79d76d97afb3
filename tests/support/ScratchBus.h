#pragma once

#include "core/config/Settings.h"
#include "core/db/Database.h"
#include "core/metrics/Metrics.h"
#include "core/plugins/PluginRegistry.h"

#include <msgbus/WireMessage.h>

#include <Poco/Data/Session.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace msgbus::test {

/// The parts of a bus for an integration test, on scratch resources: a fresh database (MariaDB
/// or SQLite) with the schema, the plugins loaded from test::baseProperties, and a fresh
/// exchange with one queue bound to it. The queue and exchange go when the bus does.
///
/// The names come first so that the test's properties can refer to them; open() then builds
/// the rest:
///   struct Bus : test::ScratchBus {
///       Bus() : ScratchBus("relay") { open("MySQL", {{"inbox.consumer.c.queue", queue}}); }
///   };
struct ScratchBus {
    std::string exchange;
    std::string queue;
    /// The properties the bus was opened with (fresh table names): what writeConfig writes.
    std::map<std::string, std::string> properties;
    core::Settings settings;
    std::unique_ptr<core::Database> database;
    core::PluginRegistry plugins;
    core::Metrics metrics;

    /// prefix names the exchange and queue (<prefix>_ex_…, <prefix>_q_…).
    explicit ScratchBus(const std::string& prefix);
    ~ScratchBus();
    ScratchBus(const ScratchBus&) = delete;
    ScratchBus& operator=(const ScratchBus&) = delete;

    /// Creates the database, applies the schema, runs prepare (the test's own tables) and
    /// loads the plugins; binds the queue with bindingPattern.
    void open(const std::string& connector, const std::map<std::string, std::string>& extra,
              const std::string& bindingPattern = "#",
              const std::function<void(Poco::Data::Session&)>& prepare = {});

    /// The bus's properties as a file in dir, for `msgbus` commands on the same tables; returns
    /// its path.
    std::string writeConfig(const std::string& dir) const;

    /// Writes count outbox messages named name (body {"n":i}) in one transaction through the
    /// SDK's OutboxWriter; returns their ids.
    std::vector<std::string> writeOutbox(int count, const std::string& name);

    /// The first column of the first row of a query, as an int.
    int count(const std::string& sql);

    /// Publishes the wires to the bus exchange with routingKey; asserts every one confirmed.
    void send(const std::vector<WireMessage>& wires, const std::string& routingKey);

    /// Runs the first inbox consumer until it has settled deliveries deliveries.
    void consume(std::uint64_t deliveries);

    /// Consumes the queue until it stays empty for a second; returns every x-message-id.
    std::multiset<std::string> drainMessageIds();
};

} // namespace msgbus::test
