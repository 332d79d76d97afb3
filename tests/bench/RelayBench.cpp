// Figure 1: how fast the outbox relay drains a full outbox, and where a batch spends its time.
#include "BenchEnv.h"
#include "Figures.h"

#include "core/amqp/AmqpPublisher.h"
#include "core/amqp/AmqpUrl.h"
#include "core/db/Transaction.h"
#include "core/outbox/OutboxRelay.h"
#include "core/outbox/OutboxRowEncoding.h"
#include "core/outbox/OutboxStore.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"
#include "core/util/StopToken.h"

#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace msgbus::bench {
namespace {

std::string dbLabel(const std::string& connector) {
    return connector == "MySQL" ? "MariaDB" : connector;
}

std::string percentOf(double part, double whole) {
    return std::to_string(static_cast<int>(whole > 0 ? 100.0 * part / whole + 0.5 : 0)) + "%";
}

} // namespace

double relayThroughput(const std::string& connector, int workers, std::int64_t rows,
                       const BrokerTarget& target,
                       const std::map<std::string, std::string>& extraProperties) {
    ScratchQueue queue("bench.#", target);
    std::unique_ptr<ScratchMysqlDatabase> mysql;
    std::unique_ptr<ScratchSqliteFile> sqlite;
    std::string connection;
    if (connector == "MySQL") {
        mysql = std::make_unique<ScratchMysqlDatabase>();
        connection = mysql->connection();
    } else {
        sqlite = std::make_unique<ScratchSqliteFile>();
        connection = sqlite->path();
    }
    // BENCH_BATCH / BENCH_WINDOW: outbox.batch_size / outbox.confirm_window for the relay figures
    // (default: the host's defaults).
    std::map<std::string, std::string> extra{{"outbox.workers", std::to_string(workers)},
                                             {"amqp.url", target.urls}};
    if (const char* batch = std::getenv("BENCH_BATCH"); batch && *batch)
        extra["outbox.batch_size"] = batch;
    if (const char* window = std::getenv("BENCH_WINDOW"); window && *window)
        extra["outbox.confirm_window"] = window;
    std::string variant;
    for (const auto& [key, value] : extraProperties) {
        extra[key] = value;
        variant += ", " + key + "=" + value;
    }
    BenchBus bus(connector, connection, queue.exchange(), extra);
    const std::string& table = bus.settings.outbox.table;

    Stopwatch fillClock;
    fillOutbox(*bus.database, table, "bench.relay", rows);
    const double fillSeconds = fillClock.seconds();
    const std::int64_t pending = bus.queryInt("SELECT COUNT(*) FROM " + table);
    if (pending != rows)
        throw std::runtime_error("the outbox holds " + std::to_string(pending) + " rows, not " +
                                 std::to_string(rows));

    // A bound on the run time, so that a slow relay cannot hold up the whole bench: the rate is
    // then computed over what was drained, and the remainder reported.
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(envInt("BENCH_RELAY_TIMEOUT", 180));
    // The relays run as in the host (OutboxRelay::run: pipelined batches) until every row is
    // confirmed; the clock stops when the last confirm is counted.
    core::StopToken stop;
    Stopwatch clock;
    const CpuClock cpu;
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w)
        threads.emplace_back([&, w] {
            core::OutboxRelay relay(*bus.database, bus.plugins, core::relaySettingsOf(bus.settings),
                                    bus.metrics, w);
            relay.run(stop);
        });
    const auto settled = [&] {
        return static_cast<std::int64_t>(bus.metrics.confirmed.load() + bus.metrics.failed.load());
    };
    while (settled() < rows && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const double elapsed = clock.seconds();
    stop.requestStop();
    for (auto& t : threads)
        t.join();

    const std::int64_t left = bus.queryInt("SELECT COUNT(*) FROM " + table);
    const double rate = static_cast<double>(rows - left) / elapsed;
    const std::string threadsLabel =
        (workers == 1 ? "1 thread" : "outbox.workers=" + std::to_string(workers)) + variant;
    const std::string where = target.describe();
    report("relay (" + dbLabel(connector) + ", " + (where.empty() ? "" : where + ", ") +
               std::to_string(rows) + " rows, " + threadsLabel + ")",
           rate, "msg/s");
    reportCpu("relay (" + dbLabel(connector) + ", " + threadsLabel + ")", cpu, rows - left);
    const std::string figure =
        "relay " + dbLabel(connector) + (where.empty() ? "" : " " + where) + " " + threadsLabel;
    note(figure + ": filled in " + std::to_string(static_cast<int>(fillSeconds * 1000)) +
         " ms, drained in " + std::to_string(static_cast<int>(elapsed * 1000)) +
         " ms (batch_size " + std::to_string(bus.settings.outbox.batchSize) + ", confirm_window " +
         std::to_string(bus.settings.outbox.confirmWindow) + ")");
    if (left != 0)
        note(figure + ": " + std::to_string(left) +
             " rows were left in the outbox (BENCH_RELAY_TIMEOUT; the relay's warnings are in the "
             "log above): the rate is over "
             "the rows drained");
    const auto inQueue = queue.settledMessageCount(static_cast<std::uint64_t>(rows - left));
    if (inQueue != static_cast<std::uint64_t>(rows - left))
        note(figure + ": the queue holds " + std::to_string(inQueue) + " messages for " +
             std::to_string(rows - left) + " relayed rows");
    return rate;
}

void relayPhases(std::int64_t rows) {
    ScratchQueue queue("bench.#");
    ScratchMysqlDatabase mysql;
    BenchBus bus("MySQL", mysql.connection(), queue.exchange());
    const auto& settings = bus.settings;
    fillOutbox(*bus.database, settings.outbox.table, "bench.relay", rows);

    core::OutboxStore store(bus.database->dialect(), settings.outbox.table);
    core::amqp::AmqpPublisher::Options options;
    options.connection.heartbeatSeconds = settings.amqp.heartbeatSeconds;
    options.connection.connectionName = "msgbus bench relay phases";
    options.confirmWindow = static_cast<std::size_t>(settings.outbox.confirmWindow);
    core::amqp::AmqpPublisher publisher(core::amqp::AmqpUrl::parse(settings.amqp.url), options);
    auto plugins = bus.plugins.current();

    // The steps of OutboxRelay::relayBatch on MariaDB, in its order, each timed.
    double borrow = 0, claim = 0, encode = 0, publish = 0, remove = 0, commit = 0;
    int batches = 0;
    std::int64_t relayed = 0;
    Stopwatch total;
    for (;;) {
        Stopwatch step;
        auto session = bus.database->session();
        borrow += step.millis();

        step = Stopwatch();
        core::Transaction tx(*session, core::Dialect::MySQL);
        auto claimed = store.claimDue(*session, settings.outbox.batchSize, core::nowMillis());
        claim += step.millis();
        if (claimed.empty()) {
            tx.commit();
            break;
        }

        step = Stopwatch();
        std::vector<core::amqp::OutgoingMessage> outgoing;
        outgoing.reserve(claimed.size());
        for (std::size_t i = 0; i < claimed.size(); ++i) {
            outgoing.push_back(
                core::outgoingOf(claimed[i], *plugins->serializer, *plugins->routing, i));
        }
        encode += step.millis();

        step = Stopwatch();
        auto outcomes = publisher.publishBatch(outgoing, settings.outbox.confirmTimeout);
        publish += step.millis();

        step = Stopwatch();
        std::vector<std::int64_t> confirmed;
        for (const auto& outcome : outcomes)
            if (outcome.result == core::amqp::PublishResult::Confirmed)
                confirmed.push_back(claimed[outcome.token].seq);
        store.remove(*session, confirmed);
        remove += step.millis();

        step = Stopwatch();
        tx.commit();
        commit += step.millis();
        ++batches;
        relayed += static_cast<std::int64_t>(confirmed.size());
    }
    const double elapsed = total.millis();
    if (batches == 0)
        throw std::runtime_error("relay phases: nothing was claimed");

    const std::string per = "MariaDB, per " + std::to_string(settings.outbox.batchSize) +
                            "-row batch, " + std::to_string(batches) + " batches";
    const double n = batches;
    report("relay step: borrow session (" + per + ")", borrow / n, "ms", 2);
    report("relay step: claim SELECT ... FOR UPDATE SKIP LOCKED (" + per + ")", claim / n, "ms", 2);
    report("relay step: encode + route (" + per + ")", encode / n, "ms", 2);
    report("relay step: publish + confirms (" + per + ")", publish / n, "ms", 2);
    report("relay step: DELETE confirmed rows (" + per + ")", remove / n, "ms", 2);
    report("relay step: COMMIT (" + per + ")", commit / n, "ms", 2);
    note("relay steps share of the time: claim " + percentOf(claim, elapsed) + ", encode " +
         percentOf(encode, elapsed) + ", publish+confirm " + percentOf(publish, elapsed) +
         ", delete+commit " + percentOf(remove + commit, elapsed) + "; " +
         std::to_string(static_cast<int>(static_cast<double>(relayed) / (elapsed / 1000.0))) +
         " msg/s overall");
}

} // namespace msgbus::bench
