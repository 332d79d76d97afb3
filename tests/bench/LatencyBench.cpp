// Figures 3 and 5: latency at a steady offered load, through the host as `msgbus run` runs it.
#include "BenchEnv.h"
#include "Figures.h"
#include "plugin/BenchPayload.h"

#include "core/amqp/AmqpConsumer.h"
#include "core/amqp/AmqpUrl.h"
#include "core/db/Transaction.h"
#include "core/host/Host.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"

#include <msgbus/Doorbell.h>
#include <msgbus/OutboxWriter.h>

#include <Poco/Data/Session.h>

#include <arpa/inet.h>
#include <atomic>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <thread>

namespace msgbus::bench {
namespace {

using namespace Poco::Data::Keywords;

/// Messages the producer writes per transaction; one transaction every 10 ms at 1,000 msg/s.
constexpr int kPerTransaction = 10;
/// Samples from the first second (connections, first polls) are left out.
constexpr std::int64_t kWarmUpMillis = 1000;

struct Production {
    std::int64_t written = 0;
    std::int64_t startMs = 0; ///< wall clock at the first write
    double seconds = 0;
};

/// Commits rate messages per second into the outbox, kPerTransaction per transaction at an
/// even pace, for seconds s, through the SDK's OutboxWriter (what an application does); rings
/// doorbell after each commit when one is given.
Production produce(core::Database& database, const core::Settings& settings,
                   const std::string& name, int rate, int seconds, const Doorbell* doorbell) {
    Production result;
    auto session = database.session();
    OutboxWriter writer(*session, {settings.outbox.table, settings.outbox.maxBodyBytes});
    const auto period = std::chrono::microseconds(1000000LL * kPerTransaction / rate);
    auto next = std::chrono::steady_clock::now();
    const auto end = next + std::chrono::seconds(seconds);
    result.startMs = core::nowMillis();
    Stopwatch clock;
    while (std::chrono::steady_clock::now() < end) {
        std::vector<Message> batch;
        batch.reserve(kPerTransaction);
        const std::string created = std::to_string(::bench::nowMicros());
        for (int i = 0; i < kPerTransaction; ++i) {
            batch.emplace_back(name, benchPayload(result.written + i, kPayloadBytes));
            batch.back().setHeader(::bench::kCreatedMicrosHeader, created);
        }
        core::Transaction tx(*session, database.dialect());
        writer.write(batch);
        tx.commit();
        if (doorbell)
            writer.notify(*doorbell);
        result.written += kPerTransaction;
        next += period;
        std::this_thread::sleep_until(next); // returns at once when behind: catch up
    }
    result.seconds = clock.seconds();
    return result;
}

/// The host's settings with a runtime directory of its own: its plugin loader must not copy
/// libraries over the ones the BenchBus generation has mapped.
core::Settings hostSettings(const core::Settings& settings) {
    core::Settings copy = settings;
    copy.runtimeDir =
        (std::filesystem::temp_directory_path() / uniqueName("msgbus_bench_host")).string();
    return copy;
}

void reportLatencies(const std::string& what, const std::string& setup, std::vector<double>& millis,
                     int decimals = 0) {
    report(what + " p50 (" + setup + ")", percentile(millis, 0.50), "ms", decimals);
    report(what + " p99 (" + setup + ")", percentile(millis, 0.99), "ms", decimals);
    report(what + " max (" + setup + ")", percentile(millis, 1.0), "ms", decimals);
}

/// A doorbell address of the bench's own (the loopback broadcast address, as by default, on a
/// free port), so that rings of hosts other people run on this machine do not wake its relays.
std::string privateDoorbell() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return "udp://127.255.255.255:" + std::to_string(ntohs(address.sin_port));
}

/// The host's outbox.doorbell for a run: a private one when it rings, off when it does not.
std::map<std::string, std::string> doorbellProperties(const LatencyRun& run,
                                                      const std::string& address) {
    std::map<std::string, std::string> out = run.extra;
    out["outbox.doorbell"] = run.ring ? address : "";
    return out;
}

/// Receives a copy of the messages (a tap queue on the figure's exchange) and notes when each
/// arrived, by message id: where the broker's delivery falls between the producer's commit and
/// the handler's.
class Tap {
public:
    explicit Tap(const std::string& queue)
        : _thread([this, queue] {
              try {
                  run(queue);
              } catch (const std::exception& e) {
                  _error = core::errorText(e);
              }
          }) {}
    ~Tap() { stop(); }

    /// Stops receiving; returns arrival times (µs, wall clock) by message id.
    const std::map<std::string, std::int64_t>& stop() {
        _stop = true;
        if (_thread.joinable())
            _thread.join();
        if (!_error.empty())
            note("end-to-end tap: " + _error);
        return _arrivals;
    }

private:
    void run(const std::string& queue) {
        core::amqp::AmqpConsumer::Options options;
        options.queue = queue;
        options.prefetch = 1000;
        options.connectionName = "msgbus bench e2e tap";
        core::amqp::AmqpConsumer consumer(core::amqp::AmqpUrl::parse(amqpUrl()), options);
        consumer.connect();
        while (!_stop) {
            auto delivery = consumer.next(std::chrono::milliseconds(100));
            if (!delivery)
                continue;
            const std::int64_t now = ::bench::nowMicros();
            if (delivery->wire.properties.messageId)
                _arrivals.emplace(*delivery->wire.properties.messageId, now);
            consumer.ack(delivery->deliveryTag, false, delivery->connectionEpoch);
        }
        consumer.close();
    }

    std::atomic<bool> _stop{false};
    std::map<std::string, std::int64_t> _arrivals;
    std::string _error;
    std::thread _thread; ///< last: starts once the rest is built
};

std::string rateLabel(const Production& production) {
    return std::to_string(
        static_cast<int>(static_cast<double>(production.written) / production.seconds + 0.5));
}

} // namespace

std::string LatencyRun::label() const {
    std::string out = ring ? "doorbell" : "no doorbell";
    for (const auto& [key, value] : extra)
        out += ", " + key + "=" + value;
    if (split)
        out += ", split by a tap queue";
    return out;
}

Latencies relayLatency(int rate, int seconds, const LatencyRun& run) {
    ScratchQueue queue("bench.#");
    ScratchMysqlDatabase mysql;
    const std::string address = privateDoorbell();
    BenchBus bus("MySQL", mysql.connection(), queue.exchange(), doorbellProperties(run, address));
    const auto& settings = bus.settings;
    const Doorbell doorbell(run.ring ? address : "");

    std::vector<double> latencies;
    std::atomic<bool> producing{true};
    std::atomic<std::int64_t> expected{-1};
    std::atomic<std::int64_t> warmUpEnd{std::numeric_limits<std::int64_t>::max()};
    std::string consumerError;
    std::thread consumerThread([&] {
        try {
            core::amqp::AmqpConsumer::Options options;
            options.queue = queue.queue();
            options.prefetch = 1000;
            options.connectionName = "msgbus bench latency consumer";
            core::amqp::AmqpConsumer consumer(core::amqp::AmqpUrl::parse(amqpUrl()), options);
            consumer.connect();
            std::int64_t received = 0;
            auto giveUp = std::chrono::steady_clock::time_point::max();
            while (std::chrono::steady_clock::now() < giveUp) {
                if (!producing && giveUp == std::chrono::steady_clock::time_point::max())
                    giveUp = std::chrono::steady_clock::now() + std::chrono::seconds(30);
                if (expected >= 0 && received >= expected)
                    break;
                auto delivery = consumer.next(std::chrono::milliseconds(100));
                if (!delivery)
                    continue;
                const std::int64_t now = core::nowMillis();
                const auto* created = delivery->wire.header("x-created-at");
                if (created && created->isInteger() && created->integer >= warmUpEnd)
                    latencies.push_back(static_cast<double>(now - created->integer));
                consumer.ack(delivery->deliveryTag, false, delivery->connectionEpoch);
                ++received;
            }
            consumer.close();
        } catch (const std::exception& e) {
            consumerError = core::errorText(e);
        }
    });

    core::Host host(bus.config, hostSettings(settings), "");
    Production production;
    try {
        host.start();
        warmUpEnd = core::nowMillis() + kWarmUpMillis;
        production = produce(*bus.database, settings, "bench.latency", rate, seconds, &doorbell);
    } catch (...) {
        producing = false;
        expected = 0;
        consumerThread.join();
        throw;
    }
    expected = production.written;
    producing = false;
    consumerThread.join();
    host.stop();
    if (!consumerError.empty())
        throw std::runtime_error("latency consumer: " + consumerError);

    const std::string setup =
        "MariaDB, " + std::to_string(rate) +
        " msg/s offered, outbox.workers=" + std::to_string(settings.outbox.workers) + ", poll " +
        std::to_string(settings.outbox.pollInterval.count()) + " ms, " + run.label();
    const auto samples = latencies.size();
    const Latencies result{percentile(latencies, 0.50), percentile(latencies, 0.99)};
    reportLatencies("relay latency commit->delivery", setup, latencies);
    note("relay latency: producer wrote " + std::to_string(production.written) + " rows at " +
         rateLabel(production) + " msg/s in transactions of " + std::to_string(kPerTransaction) +
         "; " + std::to_string(samples) + " samples after a " + std::to_string(kWarmUpMillis) +
         " ms warm-up; the latency runs from OutboxWriter's createdAt (just before the "
         "producer's commit) to the consumer's delivery");
    return result;
}

Latencies endToEndLatency(int rate, int seconds, const LatencyRun& run) {
    ScratchQueue queue("bench.#");
    ScratchMysqlDatabase mysql;
    const std::string address = privateDoorbell();
    auto properties = doorbellProperties(run, address);
    properties["inbox.consumers"] = "bench";
    properties["inbox.consumer.bench.queue"] = queue.queue();
    properties["inbox.consumer.bench.plugins"] = "bench";
    BenchBus bus("MySQL", mysql.connection(), queue.exchange(), properties);
    const auto& settings = bus.settings;
    const Doorbell doorbell(run.ring ? address : "");
    bus.execute("CREATE TABLE bench_latency (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
                "message_id VARCHAR(64) NULL, created_at BIGINT NOT NULL, "
                "handled_at BIGINT NOT NULL)");
    std::optional<ScratchQueue> tapQueue;
    std::optional<Tap> tap;
    if (run.split) {
        tapQueue.emplace("bench.#", queue);
        tap.emplace(tapQueue->queue());
    }

    core::Host host(bus.config, hostSettings(settings), "");
    host.start();
    const std::int64_t warmUpEnd = core::nowMillis() + kWarmUpMillis;
    Production production;
    try {
        production = produce(*bus.database, settings, "bench.e2e", rate, seconds, &doorbell);
    } catch (...) {
        host.stop();
        throw;
    }
    std::int64_t handled = 0;
    for (Stopwatch wait; wait.seconds() < 60;) {
        handled = bus.queryInt("SELECT COUNT(*) FROM bench_latency");
        if (handled >= production.written)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    host.stop();
    const std::map<std::string, std::int64_t> noArrivals;
    const auto& arrivals = tap ? tap->stop() : noArrivals;
    const auto consumed = host.metrics().consumed.load();
    const auto batches = host.metrics().handlerDuration.count();

    std::vector<std::string> ids;
    std::vector<Poco::Int64> created;
    std::vector<Poco::Int64> handledAt;
    {
        auto session = bus.database->session();
        Poco::Int64 from = warmUpEnd * 1000; // the handlers write microseconds
        *session << "SELECT message_id, created_at, handled_at FROM bench_latency "
                    "WHERE created_at >= ?",
            use(from), into(ids), into(created), into(handledAt), now;
    }
    std::vector<double> latencies;
    std::vector<double> toDelivery;
    std::vector<double> fromDelivery;
    const auto millis = [](Poco::Int64 micros) { return static_cast<double>(micros) / 1000.0; };
    for (std::size_t i = 0; i < ids.size(); ++i) {
        latencies.push_back(millis(handledAt[i] - created[i]));
        if (auto it = arrivals.find(ids[i]); it != arrivals.end()) {
            toDelivery.push_back(millis(it->second - created[i]));
            fromDelivery.push_back(millis(handledAt[i] - it->second));
        }
    }
    const std::string setup =
        "MariaDB, " + std::to_string(rate) +
        " msg/s offered, outbox.workers=" + std::to_string(settings.outbox.workers) + ", poll " +
        std::to_string(settings.outbox.pollInterval.count()) + " ms, prefetch " +
        std::to_string(settings.inbox.consumers[0].prefetch) + ", inbox.batch_wait_ms " +
        std::to_string(settings.inbox.batchWait.count()) + ", " + run.label();
    const auto samples = latencies.size();
    const Latencies result{percentile(latencies, 0.50), percentile(latencies, 0.99)};
    reportLatencies("end-to-end latency commit->handler", setup, latencies, 1);
    if (run.split) {
        reportLatencies("end-to-end split commit->broker delivery", setup, toDelivery, 1);
        reportLatencies("end-to-end split broker delivery->handler", setup, fromDelivery, 1);
        note("end-to-end split: " + std::to_string(toDelivery.size()) +
             " messages also timed at a tap queue bound beside the inbox's (its consumer's "
             "arrival stands for the inbox's); commit->delivery is the relay's claim, publish "
             "and confirm plus the broker's routing, delivery->handler the inbox's batch "
             "gathering and handler, up to the handler's statement before the commit; each "
             "split's percentiles are its own, they do not add up; the tap doubles the broker's "
             "work per message, so this run's own total is above the runs without it");
    }
    note("end-to-end: producer wrote " + std::to_string(production.written) + " at " +
         rateLabel(production) + " msg/s, handlers ran for " + std::to_string(handled) + "; " +
         std::to_string(samples) + " samples after a " + std::to_string(kWarmUpMillis) +
         " ms warm-up; from the producer's stamp just before its write and commit to the "
         "handler's just before its INSERT, inside the inbox transaction, both in "
         "microseconds; the inbox committed " +
         std::to_string(consumed) + " messages in " + std::to_string(batches) + " batches");
    const auto failed = bus.queryInt("SELECT COUNT(*) FROM " + settings.failedTable);
    if (handled < production.written || failed != 0)
        note("end-to-end: " + std::to_string(production.written - handled) +
             " messages not handled within 60 s, " + std::to_string(failed) + " retry/failed rows");
    return result;
}

} // namespace msgbus::bench
