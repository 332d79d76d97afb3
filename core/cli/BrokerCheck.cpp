#include "core/cli/BrokerCheck.h"

#include "core/amqp/AmqpError.h"
#include "core/util/ErrorText.h"

#include <algorithm>

namespace msgbus::core::cli {
namespace {

/// "RabbitMQ 3.10.7", from the server properties of connection.start, or "".
std::string serverVersion(amqp::AmqpConnection& connection) {
    const amqp_table_t* properties = amqp_get_server_properties(connection.state());
    std::string product, version;
    for (int i = 0; properties && i < properties->num_entries; ++i) {
        const amqp_table_entry_t& entry = properties->entries[i];
        if (entry.value.kind != AMQP_FIELD_KIND_UTF8 && entry.value.kind != AMQP_FIELD_KIND_BYTES)
            continue;
        const std::string key = amqp::toStdString(entry.key);
        if (key == "product")
            product = amqp::toStdString(entry.value.value.bytes);
        else if (key == "version")
            version = amqp::toStdString(entry.value.value.bytes);
    }
    return product.empty() ? version : version.empty() ? product : product + " " + version;
}

std::string argumentText(const amqp::QueueArgument& argument) {
    if (const auto* number = std::get_if<std::int64_t>(&argument.value))
        return argument.name + "=" + std::to_string(*number);
    if (const auto* flag = std::get_if<bool>(&argument.value))
        return argument.name + "=" + (*flag ? "true" : "false");
    return argument.name + "=" + std::get<std::string>(argument.value);
}

} // namespace

BrokerCheck::BrokerCheck(const Settings& settings, CheckReport& report)
    : _settings(settings), _report(report), _nodes(amqp::AmqpNodes::parse(settings.amqp.url)) {
    // Short-lived connections that must answer promptly; no heartbeats needed.
    _options.heartbeatSeconds = 0;
    _options.connectTimeout = std::chrono::milliseconds(5000);
    _options.rpcTimeout = std::chrono::milliseconds(10000);
    _options.connectionName = "msgbus check";
}

void BrokerCheck::run() {
    checkNodes();
    if (!_connection) {
        _report.info("exchanges and queues", "not checked: no broker node answered");
        return;
    }
    checkExchanges();
    checkQueues();
    checkConsumerQueues();
}

void BrokerCheck::checkNodes() {
    const bool cluster = _nodes.size() > 1;
    for (const auto& url : _nodes.urls()) {
        const std::string name = "broker node " + url.endpoint();
        try {
            auto connection = std::make_unique<amqp::AmqpConnection>(url, _options);
            const std::string version = serverVersion(*connection);
            _report.ok(name,
                       "vhost '" + url.vhost() + "'" + (version.empty() ? "" : ", ") + version);
            if (!_connection)
                _connection = std::move(connection);
        } catch (...) {
            _report.fail(name, currentErrorText() + " (check amqp.url" +
                                   std::string(cluster ? " and that this node runs; the "
                                                         "hosts use the other nodes meanwhile)"
                                                       : ", amqp.user/amqp.password and that "
                                                         "the broker runs)"));
        }
    }
}

amqp::AmqpConnection* BrokerCheck::connection() {
    if (_connection && _connection->isUsable())
        return _connection.get();
    _connection.reset();
    try {
        _connection = amqp::connectToNextNode(_nodes, _options);
    } catch (...) {
        _unreachable = currentErrorText();
    }
    return _connection.get();
}

void BrokerCheck::inspect(
    const std::string& name, const std::string& matches,
    const std::function<amqp::Inspection(amqp::AmqpConnection&)>& inspection) {
    _report.attempt(name, [&] {
        amqp::AmqpConnection* connection = this->connection();
        if (!connection) {
            _report.fail(name, "not checked: " + _unreachable);
            return;
        }
        const amqp::Inspection found = inspection(*connection);
        switch (found.outcome) {
        case amqp::Inspection::Outcome::Matches:
            _report.ok(name, matches + (found.detail.empty() ? "" : "; " + found.detail));
            break;
        case amqp::Inspection::Outcome::Missing:
            _report.fail(name, "missing: run msgbus setup");
            break;
        case amqp::Inspection::Outcome::Differs:
            _report.fail(name, found.detail);
            break;
        case amqp::Inspection::Outcome::Unverified:
            _report.info(name, "exists; its settings could not be compared: " + found.detail);
            break;
        }
    });
}

void BrokerCheck::checkExchanges() {
    for (const auto& exchange : _settings.amqp.exchanges) {
        const amqp::ExchangeSpec spec{exchange.name, exchange.type, true};
        inspect("exchange " + exchange.name, exchange.type + ", durable",
                [&](amqp::AmqpConnection& c) { return amqp::inspectExchange(c, spec); });
    }
}

void BrokerCheck::checkQueues() {
    bool bindings = false;
    for (const auto& queue : _settings.amqp.queues) {
        amqp::QueueSpec spec;
        spec.name = queue.name;
        spec.type = queue.type;
        spec.arguments = queue.arguments;
        std::string settings = queue.type + ", durable";
        for (const auto& argument : queue.arguments)
            settings += ", " + argumentText(argument);
        inspect("queue " + queue.name, settings,
                [&](amqp::AmqpConnection& c) { return amqp::inspectQueue(c, spec); });
        bindings = bindings || !queue.bindings.empty();
    }
    if (bindings)
        _report.info("bindings", "not checkable over AMQP (declared by msgbus setup)");
}

void BrokerCheck::checkConsumerQueues() {
    for (const auto& consumer : _settings.inbox.consumers) {
        const auto& queues = _settings.amqp.queues;
        if (std::any_of(queues.begin(), queues.end(),
                        [&](const QueueSettings& q) { return q.name == consumer.queue; }))
            continue;
        // msgbus consumes it but does not declare it: only whether it exists can be known.
        const std::string name = "queue " + consumer.queue + " (consumed by " + consumer.name + ")";
        _report.attempt(name, [&] {
            amqp::AmqpConnection* connection = this->connection();
            if (!connection) {
                _report.fail(name, "not checked: " + _unreachable);
                return;
            }
            const auto found = amqp::probeQueue(*connection, consumer.queue);
            if (found.outcome == amqp::Inspection::Outcome::Missing)
                _report.fail(name, "missing: declare it, or configure amqp.queue." +
                                       consumer.queue + ".bindings and run msgbus setup");
            else
                _report.ok(name, "exists, not declared by msgbus; " + found.detail);
        });
    }
}

} // namespace msgbus::core::cli
