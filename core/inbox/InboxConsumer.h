#pragma once

#include "core/amqp/AmqpConsumer.h"
#include "core/inbox/MessageProcessor.h"
#include "core/inbox/RedeliveryTracker.h"
#include "core/inbox/UnfinishedRuns.h"
#include "core/plugins/PluginRegistry.h"
#include "core/util/StopSignal.h"

#include <Poco/Logger.h>

namespace msgbus::core {

/// One inbox consumer (inbox.consumers entry): consumes its queue with manual acks and runs each
/// delivery through the MessageProcessor. A delivery is acked only after its outcome (handled,
/// duplicate, retry row or failed row) is committed; a database failure nacks it with requeue
/// and backs off; a broker failure reconnects with backoff (unacked deliveries come back and are
/// deduplicated). One thread per consumer.
///
/// The handler runs of redelivered messages are recorded (UnfinishedRuns) so that a message
/// whose earlier run killed its host is found when it comes back: it then runs alone, after
/// the rest of its batch, and is stopped after inbox.max_redeliveries.
class InboxConsumer {
public:
    InboxConsumer(Database& database, PluginRegistry& plugins, const Settings& settings,
                  const ConsumerSettings& consumer, Metrics& metrics,
                  std::function<void()> onOutboxWrite);

    /// Consumes until stop is requested (finishing the delivery in hand), or until limit
    /// deliveries were processed when limit > 0.
    void run(StopSignal& stop, std::uint64_t limit = 0);

private:
    void gather(std::vector<amqp::Delivery>& deliveries, std::size_t want,
                std::exception_ptr& brokerError);
    /// Per delivery, how many runs of it began on some host and never ended; keys gets the
    /// run key of each redelivered one ("" for a first delivery).
    std::vector<int> hostDeaths(const std::vector<amqp::Delivery>& deliveries,
                                std::vector<std::string>& keys);
    /// One transaction's worth: records the runs, processes, settles the run records.
    void runPart(const PluginSet& plugins, std::span<const amqp::Delivery> deliveries,
                 std::span<const std::string> keys, std::span<const InboxItem> items,
                 std::span<ProcessResult> results);
    /// True when the runs were recorded.
    bool beginRuns(const std::vector<std::string>& keys);
    /// results empty: nothing was committed.
    void endRuns(std::span<const amqp::Delivery> deliveries, std::span<const std::string> keys,
                 std::span<const ProcessResult> results);
    void runsFailed(const char* what, const std::exception& e);

    const Settings& _settings;
    const ConsumerSettings& _consumerSettings;
    Database& _database;
    PluginRegistry& _plugins;
    Metrics& _metrics;
    MessageProcessor _processor;
    amqp::AmqpConsumer _consumer;
    RedeliveryTracker _redeliveries;
    UnfinishedRuns _runs;
    bool _runsWorking = true;
    /// The x-delivery-limit of the consumed queue, when the configuration declares one.
    std::optional<std::int64_t> _deliveryLimit;
    Poco::Logger& _log;
};

} // namespace msgbus::core
