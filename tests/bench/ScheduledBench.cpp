// Figure "scheduled": how late scheduled messages leave when many fall due in the same minute.
#include "BenchEnv.h"
#include "Figures.h"

#include "core/amqp/AmqpConsumer.h"
#include "core/amqp/AmqpUrl.h"
#include "core/db/Transaction.h"
#include "core/host/Host.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"

#include <msgbus/OutboxWriter.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <filesystem>
#include <stdexcept>
#include <thread>

namespace msgbus::bench {
namespace {

/// Time to write every row before the first falls due.
constexpr std::int64_t kLeadMillis = 5000;
constexpr int kPerTransaction = 500;

/// Writes rows messages through OutboxWriter, each with a delivery time, spread evenly over
/// spreadMs from firstDueMs; the payload carries the time ({"due":ms,...}).
void writeScheduled(BenchBus& bus, std::int64_t rows, std::int64_t firstDueMs,
                    std::int64_t spreadMs) {
    auto session = bus.database->session();
    OutboxWriter writer(*session, {bus.settings.outbox.table, bus.settings.outbox.maxBodyBytes});
    for (std::int64_t done = 0; done < rows;) {
        std::vector<Message> batch;
        for (int i = 0; i < kPerTransaction && done < rows; ++i, ++done) {
            const std::int64_t due = firstDueMs + spreadMs * done / rows;
            Message m("bench.scheduled", R"({"due":)" + std::to_string(due) + R"(,"pad":")" +
                                             std::string(kPayloadBytes, 'x') + "\"}");
            m.setDeliverAt(std::chrono::system_clock::time_point(std::chrono::milliseconds(due)));
            batch.push_back(std::move(m));
        }
        core::Transaction tx(*session, bus.database->dialect());
        writer.write(batch);
        tx.commit();
    }
}

/// Receives expected deliveries (or gives up deadline after the last is due); returns each
/// one's lateness, receive time minus delivery time, in ms. early counts deliveries received
/// before their time (there must be none).
std::vector<double> receiveLateness(const std::string& queue, std::int64_t expected,
                                    std::int64_t lastDueMs, std::int64_t& early) {
    core::amqp::AmqpConsumer::Options options;
    options.queue = queue;
    options.prefetch = 1000;
    options.connectionName = "msgbus bench scheduled consumer";
    core::amqp::AmqpConsumer consumer(core::amqp::AmqpUrl::parse(amqpUrl()), options);
    consumer.connect();
    std::vector<double> lateness;
    early = 0;
    while (static_cast<std::int64_t>(lateness.size()) < expected &&
           core::nowMillis() < lastDueMs + 60000) {
        auto delivery = consumer.next(std::chrono::milliseconds(100));
        if (!delivery)
            continue;
        const std::int64_t now = core::nowMillis();
        auto body =
            Poco::JSON::Parser().parse(delivery->wire.body).extract<Poco::JSON::Object::Ptr>();
        const std::int64_t due = body->getValue<Poco::Int64>("due");
        if (now < due)
            ++early;
        lateness.push_back(static_cast<double>(now - due));
        consumer.ack(delivery->deliveryTag, false, delivery->connectionEpoch);
    }
    consumer.close();
    return lateness;
}

} // namespace

Latencies scheduledLateness(std::int64_t rows, int spreadSeconds, int pollMs) {
    ScratchQueue queue("bench.#");
    ScratchMysqlDatabase mysql;
    // No doorbell: rings of other people's hosts on this machine must not wake the relay.
    BenchBus bus("MySQL", mysql.connection(), queue.exchange(),
                 {{"outbox.doorbell", ""}, {"outbox.poll_interval_ms", std::to_string(pollMs)}});
    const std::int64_t firstDue = core::nowMillis() + kLeadMillis;
    const std::int64_t spread = spreadSeconds * 1000LL;
    writeScheduled(bus, rows, firstDue, spread);
    if (core::nowMillis() >= firstDue)
        note("scheduled: writing the rows took longer than the " + std::to_string(kLeadMillis) +
             " ms lead; the first ones were due before the host started");

    core::Settings settings = bus.settings;
    // A runtime directory of its own: the host's plugin loader must not copy libraries over
    // the ones the BenchBus generation has mapped.
    settings.runtimeDir =
        (std::filesystem::temp_directory_path() / uniqueName("msgbus_bench_host")).string();
    core::Host host(bus.config, settings, "");
    host.start();
    std::int64_t early = 0;
    std::vector<double> lateness;
    try {
        lateness = receiveLateness(queue.queue(), rows, firstDue + spread, early);
    } catch (...) {
        host.stop();
        throw;
    }
    host.stop();
    const std::string setup = "MariaDB, " + std::to_string(rows) + " rows due within " +
                              std::to_string(spreadSeconds) + " s, poll " + std::to_string(pollMs) +
                              " ms";
    const auto received = lateness.size();
    const Latencies result{percentile(lateness, 0.50), percentile(lateness, 0.99)};
    report("scheduled lateness p50 (" + setup + ")", result.p50, "ms");
    report("scheduled lateness p99 (" + setup + ")", result.p99, "ms");
    report("scheduled lateness max (" + setup + ")", percentile(lateness, 1.0), "ms");
    note("scheduled: " + std::to_string(received) + " of " + std::to_string(rows) + " received, " +
         std::to_string(early) +
         " before their time; lateness = the consumer's receive time minus the delivery time "
         "(Message::setDeliverAt), one clock");
    if (static_cast<std::int64_t>(received) < rows || early > 0)
        throw std::runtime_error("scheduled: " + std::to_string(rows - received) +
                                 " not received, " + std::to_string(early) + " early");
    return result;
}

} // namespace msgbus::bench
