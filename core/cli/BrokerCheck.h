#pragma once

#include "core/amqp/AmqpConnection.h"
#include "core/amqp/Topology.h"
#include "core/cli/CheckReport.h"
#include "core/config/Settings.h"

#include <functional>
#include <memory>

namespace msgbus::core::cli {

/// The broker part of `msgbus check`: every node of amqp.url answers and accepts the login
/// (one result per node), then, over any node that answered, each configured exchange and
/// queue exists with its settings, and each consumer's queue exists. Creates nothing (see
/// amqp::inspectExchange). Bindings cannot be listed over AMQP 0-9-1; they are reported as not
/// checked.
class BrokerCheck {
public:
    BrokerCheck(const Settings& settings, CheckReport& report);

    void run();

private:
    void checkNodes();
    void checkExchanges();
    void checkQueues();
    void checkConsumerQueues();
    /// Reports one inspection under name; what it should say when it matches is matches.
    void inspect(const std::string& name, const std::string& matches,
                 const std::function<amqp::Inspection(amqp::AmqpConnection&)>& inspection);
    /// A usable connection (a new one on the next node that answers when the last one broke),
    /// or nullptr with _unreachable saying why.
    amqp::AmqpConnection* connection();

    const Settings& _settings;
    CheckReport& _report;
    amqp::AmqpNodes _nodes;
    amqp::AmqpConnection::Options _options;
    std::unique_ptr<amqp::AmqpConnection> _connection;
    std::string _unreachable;
};

} // namespace msgbus::core::cli
