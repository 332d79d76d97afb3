// Figure "ordered": the inbox with 1 % of the partition keys failing their first message's
// first attempt, unordered and then with inbox.consumer.<c>.ordered = true (their later
// messages park and run after the retry), on the same services in the same run.
#include "BenchEnv.h"
#include "Figures.h"

#include "core/amqp/AmqpNodes.h"
#include "core/amqp/AmqpPublisher.h"
#include "core/inbox/InboxConsumer.h"
#include "core/inbox/RetryWorker.h"
#include "core/util/Clock.h"
#include "core/util/StopToken.h"

#include <msgbus/Id.h>

#include <stdexcept>
#include <thread>

namespace msgbus::bench {
namespace {

constexpr std::int64_t kKeys = 1000;
constexpr std::int64_t kFailEvery = 100; ///< 1 % of the keys
constexpr auto kDeadline = std::chrono::seconds(300);

/// The rate (msg/s) from the first delivery to the last message's effect, with the retry
/// worker (retries and releases) running beside the consumer.
double oneRun(std::int64_t messages, bool ordered) {
    ScratchQueue queue("bench.#");
    ScratchMysqlDatabase mysql;
    BenchBus bus("MySQL", mysql.connection(), queue.exchange(),
                 {{"inbox.consumers", "bench"},
                  {"inbox.consumer.bench.queue", queue.queue()},
                  {"inbox.consumer.bench.plugins", "bench"},
                  {"inbox.consumer.bench.ordered", ordered ? "true" : "false"},
                  {"plugin.bench.config.own_table", "bench_own"},
                  {"plugin.bench.config.fail_first_keys", std::to_string(kKeys)},
                  {"plugin.bench.config.fail_every", std::to_string(kFailEvery)},
                  {"retry.delay_ms", "1000"},
                  {"retry.multiplier", "1"}});
    bus.execute("CREATE TABLE bench_own (k BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB");
    // Message k has partition key "key-<k % kKeys>".
    preload(bus, queue.exchange(), messages,
            [](std::int64_t k) { return "key-" + std::to_string(k % kKeys); });
    if (queue.settledMessageCount(static_cast<std::uint64_t>(messages)) !=
        static_cast<std::uint64_t>(messages))
        throw std::runtime_error("the queue does not hold the preloaded messages");

    const auto& settings = bus.settings;
    core::StopToken stopRetry;
    core::RetryWorker retry(*bus.database, bus.plugins, core::retryWorkerSettingsOf(settings),
                            bus.metrics, {});
    Stopwatch clock;
    std::thread retryThread([&] { retry.run(stopRetry); });
    {
        core::StopToken stop;
        core::InboxConsumer consumer(
            *bus.database, bus.plugins,
            core::inboxWorkerSettingsOf(settings, settings.inbox.consumers[0]), bus.metrics, {});
        consumer.run(stop, static_cast<std::uint64_t>(messages));
    }
    std::int64_t done = 0;
    while ((done = bus.queryInt("SELECT COUNT(*) FROM bench_own")) < messages &&
           clock.seconds() < static_cast<double>(kDeadline.count()))
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const double elapsed = clock.seconds();
    stopRetry.requestStop();
    retryThread.join();
    if (done != messages)
        throw std::runtime_error(std::to_string(done) + " of " + std::to_string(messages) +
                                 " effects after " + std::to_string(kDeadline.count()) + " s");
    const double rate = static_cast<double>(messages) / elapsed;
    report(std::string("inbox, 1 % of 1,000 keys failing a first attempt, ") +
               (ordered ? "ordered (parked behind the head)" : "unordered") + " (MariaDB, " +
               std::to_string(messages) + " msgs, to the last effect, concurrency " +
               std::to_string(settings.inbox.consumers[0].concurrency) + ")",
           rate, "msg/s");
    note(std::string(ordered ? "ordered" : "unordered") + ": " +
         std::to_string(bus.metrics.retried.load()) + " retry rows, " +
         std::to_string(bus.metrics.parked.load()) + " messages parked, " +
         std::to_string(bus.metrics.released.load()) + " released");
    return rate;
}

} // namespace

double orderedInbox(std::int64_t messages) {
    // Interleaved (U O O U), each mode's mean: others load the shared machine in waves, and a
    // wave would otherwise fall on one mode only.
    double unordered = oneRun(messages, false);
    double ordered = oneRun(messages, true);
    ordered = (ordered + oneRun(messages, true)) / 2;
    unordered = (unordered + oneRun(messages, false)) / 2;
    report("inbox, 1 % of keys failing a first attempt, unordered (mean of 2 runs)", unordered,
           "msg/s");
    report("inbox, 1 % of keys failing a first attempt, ordered (mean of 2 runs)", ordered,
           "msg/s");
    const double ratio = ordered / unordered;
    reportRatio("inbox ordered / unordered, 1 % of keys failing a first attempt", ratio,
                std::string("target >= 0.90: ") + (ratio >= 0.9 ? "met" : "MISSED"));
    return ratio;
}

} // namespace msgbus::bench
