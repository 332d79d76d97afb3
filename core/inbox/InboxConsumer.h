#pragma once

#include "core/amqp/AmqpConsumer.h"
#include "core/host/StopSignal.h"
#include "core/inbox/MessageProcessor.h"
#include "core/inbox/RedeliveryTracker.h"
#include "core/plugins/PluginRegistry.h"

#include <Poco/Logger.h>

namespace msgbus::core {

/// One inbox consumer (inbox.consumers entry): consumes its queue with manual acks and runs each
/// delivery through the MessageProcessor. A delivery is acked only after its outcome (handled,
/// duplicate, retry row or failed row) is committed; a database failure nacks it with requeue
/// and backs off; a broker failure reconnects with backoff (unacked deliveries come back and are
/// deduplicated). One thread per consumer.
class InboxConsumer {
public:
    InboxConsumer(Database& database, PluginRegistry& plugins, const Settings& settings,
                  const ConsumerSettings& consumer, Metrics& metrics,
                  std::function<void()> onOutboxWrite);

    /// Consumes until stop is requested (finishing the delivery in hand), or until limit
    /// deliveries were processed when limit > 0.
    void run(StopSignal& stop, std::uint64_t limit = 0);

private:
    const Settings& _settings;
    const ConsumerSettings& _consumerSettings;
    PluginRegistry& _plugins;
    Metrics& _metrics;
    MessageProcessor _processor;
    amqp::AmqpConsumer _consumer;
    RedeliveryTracker _redeliveries;
    Poco::Logger& _log;
};

} // namespace msgbus::core
