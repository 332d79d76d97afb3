#include "core/inbox/InboxConsumer.h"

#include "core/amqp/AmqpUrl.h"
#include "core/util/Backoff.h"

namespace msgbus::core {
namespace {

amqp::AmqpConsumer::Options consumerOptions(const Settings& settings,
                                            const ConsumerSettings& consumer) {
    amqp::AmqpConsumer::Options options;
    options.queue = consumer.queue;
    options.prefetch = static_cast<std::uint16_t>(consumer.prefetch);
    options.heartbeatSeconds = settings.amqp.heartbeatSeconds;
    options.consumerTag = "msgbus-" + consumer.name;
    options.connectionName = "msgbus consumer " + consumer.name;
    return options;
}

} // namespace

InboxConsumer::InboxConsumer(Database& database, PluginRegistry& plugins, const Settings& settings,
                             const ConsumerSettings& consumer, Metrics& metrics,
                             std::function<void()> onOutboxWrite)
    : _settings(settings), _consumerSettings(consumer), _plugins(plugins),
      _processor(database, settings, metrics, consumer.name, std::move(onOutboxWrite)),
      _consumer(amqp::AmqpUrl::parse(settings.amqp.url), consumerOptions(settings, consumer)),
      _log(Poco::Logger::get("msgbus.inbox")) {}

void InboxConsumer::run(StopSignal& stop, std::uint64_t limit) {
    Backoff backoff(std::chrono::milliseconds(200), 2.0, std::chrono::milliseconds(30000));
    int failures = 0;
    std::uint64_t processed = 0;
    while (!stop.stopRequested() && (limit == 0 || processed < limit)) {
        try {
            if (!_consumer.isConnected())
                _consumer.connect();
            auto delivery = _consumer.next(std::chrono::milliseconds(200));
            if (!delivery)
                continue;
            auto plugins = _plugins.current();
            try {
                _processor.process(*plugins, delivery->wire, 1);
            } catch (const std::exception& e) {
                // The outcome is not durable: give the delivery back to the broker.
                _consumer.nack(delivery->deliveryTag, false, true, delivery->connectionEpoch);
                throw;
            }
            _consumer.ack(delivery->deliveryTag, false, delivery->connectionEpoch);
            ++processed;
            failures = 0;
        } catch (const std::exception& e) {
            ++failures;
            auto delay = backoff.delay(failures);
            _log.warning("consumer %s: %s (retrying in %Ldms)", _consumerSettings.name,
                         std::string(e.what()), static_cast<long long>(delay.count()));
            stop.sleepFor(delay);
        }
    }
    _consumer.close();
}

} // namespace msgbus::core
