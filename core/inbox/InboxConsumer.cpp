#include "core/inbox/InboxConsumer.h"

#include "core/amqp/AmqpUrl.h"
#include "core/inbox/DeliveryBudget.h"
#include "core/inbox/InboxLane.h"

#include <algorithm>
#include <memory>
#include <thread>
#include <vector>

namespace msgbus::core {
namespace {

amqp::AmqpConsumer::Options consumerOptions(const InboxWorkerSettings& settings) {
    const ConsumerSettings& consumer = settings.consumer;
    amqp::AmqpConsumer::Options options;
    options.queue = consumer.queue;
    options.prefetch = static_cast<std::uint16_t>(consumer.prefetch);
    options.heartbeatSeconds = settings.amqp.heartbeatSeconds;
    options.consumerTag = "msgbus-" + consumer.name;
    options.connectionName = "msgbus consumer " + consumer.name;
    return options;
}

unsigned lanesOf(const InboxWorkerSettings& settings) {
    return static_cast<unsigned>(std::max(1, settings.consumer.concurrency));
}

/// How many neighbouring deliveries without a partition key go to one lane: a batch's worth,
/// but no more than the lane's share of the prefetch, or one lane would take it all.
std::size_t chunkOf(const InboxWorkerSettings& settings) {
    const auto share = static_cast<std::size_t>(settings.consumer.prefetch) / lanesOf(settings);
    return std::max<std::size_t>(
        1, std::min(share, static_cast<std::size_t>(settings.inbox.batchSize)));
}

std::string laneName(const std::string& consumer, unsigned lane) {
    return lane == 0 ? consumer : consumer + "#" + std::to_string(lane + 1);
}

} // namespace

InboxConsumer::InboxConsumer(Database& database, PluginRegistry& plugins,
                             const InboxWorkerSettings& settings, Metrics& metrics,
                             std::function<void()> onOutboxWrite)
    : _settings(settings), _database(database), _plugins(plugins), _metrics(metrics),
      _onOutboxWrite(std::move(onOutboxWrite)),
      _pump(amqp::AmqpNodes::parse(settings.amqp.url), consumerOptions(settings), lanesOf(settings),
            chunkOf(settings), metrics, settings.consumer.name) {}

void InboxConsumer::run(StopToken& stop, std::uint64_t limit) {
    const unsigned count = lanesOf(_settings);
    std::vector<std::unique_ptr<LaneDeliveries>> deliveries;
    std::vector<std::unique_ptr<InboxLane>> lanes;
    for (unsigned i = 0; i < count; ++i) {
        deliveries.push_back(std::make_unique<LaneDeliveries>(_pump, i));
        lanes.push_back(std::make_unique<InboxLane>(
            _database, _plugins, _settings, _metrics, _onOutboxWrite, *deliveries.back(),
            _redeliveries, laneName(_settings.consumer.name, i)));
    }
    DeliveryBudget budget(limit);
    // The pump stops last: the lanes' last acks go through it.
    StopToken pumpStop;
    std::thread pump([&] { _pump.run(pumpStop); });
    std::vector<std::thread> threads;
    for (unsigned i = 1; i < count; ++i)
        threads.emplace_back([&, i] { lanes[i]->run(stop, budget); });
    lanes[0]->run(stop, budget);
    for (auto& thread : threads)
        thread.join();
    pumpStop.requestStop();
    pump.join();
}

} // namespace msgbus::core
