#include "core/inbox/InboxConsumer.h"
#include "core/util/ErrorText.h"

#include "core/amqp/AmqpUrl.h"
#include "core/util/Backoff.h"

#include <algorithm>

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
    : _settings(settings), _consumerSettings(consumer), _plugins(plugins), _metrics(metrics),
      _processor(database, settings, metrics, consumer.name, std::move(onOutboxWrite)),
      _consumer(amqp::AmqpUrl::parse(settings.amqp.url), consumerOptions(settings, consumer)),
      _log(Poco::Logger::get("msgbus.inbox")) {}

void InboxConsumer::run(StopSignal& stop, std::uint64_t limit) {
    Backoff backoff = Backoff::forOutage();
    int failures = 0;
    std::uint64_t processed = 0;
    std::vector<amqp::Delivery> deliveries;
    std::vector<InboxItem> items;
    while (!stop.stopRequested() && (limit == 0 || processed < limit)) {
        // Outside the try: an exception object thrown from plugin code must be destroyed while
        // the snapshot still keeps that plugin's library mapped.
        std::shared_ptr<const PluginSet> plugins;
        try {
            if (!_consumer.isConnected())
                _consumer.connect();
            auto first = _consumer.next(std::chrono::milliseconds(200));
            _metrics.brokerOk();
            if (!first)
                continue;
            // Gather a batch: what is already here, up to inbox.batch_size, waiting at most
            // inbox.batch_wait_ms for more. One commit then covers all of them.
            deliveries.clear();
            deliveries.push_back(std::move(*first));
            std::size_t want = static_cast<std::size_t>(_settings.inbox.batchSize);
            if (limit > 0)
                want = std::min<std::size_t>(want, limit - processed);
            const auto deadline = std::chrono::steady_clock::now() + _settings.inbox.batchWait;
            std::exception_ptr brokerError;
            try {
                while (deliveries.size() < want) {
                    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now());
                    auto next = _consumer.next(std::max(left, std::chrono::milliseconds(0)));
                    if (!next)
                        break;
                    deliveries.push_back(std::move(*next));
                }
            } catch (...) {
                // The connection broke while gathering: still settle what we hold (its acks
                // are void now; the broker redelivers and the dedup rows catch it).
                brokerError = std::current_exception();
            }

            items.clear();
            for (const auto& d : deliveries) {
                InboxItem item{&d.wire, 1, 0};
                item.decodeError = d.decodeError;
                item.redeliveries = _redeliveries.redeliveries(d);
                if (item.redeliveries > 0)
                    item.lastError = _redeliveries.lastError(d);
                items.push_back(std::move(item));
            }
            const auto& last = deliveries.back();
            plugins = _plugins.current();
            const auto started = std::chrono::steady_clock::now();
            std::vector<ProcessResult> results;
            try {
                results = _processor.processBatch(*plugins, items);
                _metrics.databaseOk();
                _metrics.handlerDuration.observe(std::chrono::duration<double, std::milli>(
                                                     std::chrono::steady_clock::now() - started)
                                                     .count());
            } catch (const BatchAborted& e) {
                // Nothing was committed; the database failed under one message's handler:
                // that one's redelivery counts, the others' do not.
                for (std::size_t i = 0; i < deliveries.size(); ++i)
                    _redeliveries.gaveBack(deliveries[i], errorText(e), &items[i] != e.suspect());
                _consumer.nack(last.deliveryTag, true, true, last.connectionEpoch);
                throw;
            } catch (const std::exception& e) {
                // Nothing was committed and no message is to blame (the database is gone, or
                // the transaction lost a lock conflict): give the whole batch back.
                for (const auto& d : deliveries)
                    _redeliveries.gaveBack(d, errorText(e), true);
                _consumer.nack(last.deliveryTag, true, true, last.connectionEpoch);
                throw;
            }
            // Acks only after the commit: one per batch, unless some could not be settled.
            const auto givenBack = [](ProcessResult r) {
                return r == ProcessResult::Requeue || r == ProcessResult::RequeueSuspect;
            };
            const bool allSettled = std::none_of(results.begin(), results.end(), givenBack);
            if (allSettled) {
                _consumer.ack(last.deliveryTag, true, last.connectionEpoch);
                for (const auto& d : deliveries)
                    _redeliveries.settled(d);
            } else {
                for (std::size_t i = 0; i < deliveries.size(); ++i) {
                    const auto& d = deliveries[i];
                    if (givenBack(results[i])) {
                        _redeliveries.gaveBack(d, "it could be neither processed nor stored",
                                               results[i] == ProcessResult::Requeue);
                        _consumer.nack(d.deliveryTag, false, true, d.connectionEpoch);
                    } else {
                        _redeliveries.settled(d);
                        _consumer.ack(d.deliveryTag, false, d.connectionEpoch);
                    }
                }
            }
            processed += deliveries.size();
            failures = allSettled ? 0 : failures + 1;
            if (brokerError)
                std::rethrow_exception(brokerError);
            if (!allSettled)
                stop.sleepFor(backoff.delay(failures));
        } catch (const std::exception& e) {
            ++failures;
            auto delay = backoff.delay(failures);
            _log.warning("consumer %s: %s (retrying in %sms)", _consumerSettings.name, errorText(e),
                         std::to_string(delay.count()));
            stop.sleepFor(delay);
        }
    }
    _consumer.close();
}

} // namespace msgbus::core
