// Figure 4: inbox throughput on MariaDB beside the raw per-message-commit SQL loop (and, for the
// "quorum" figure, the inbox alone from a quorum queue on the cluster).
#include "BenchEnv.h"
#include "Figures.h"

#include "core/amqp/AmqpConsumer.h"
#include "core/amqp/AmqpNodes.h"
#include "core/amqp/AmqpPublisher.h"
#include "core/amqp/AmqpUrl.h"
#include "core/db/Transaction.h"
#include "core/inbox/InboxConsumer.h"
#include "core/inbox/MessageProcessor.h"
#include "core/util/Clock.h"
#include "core/util/StopToken.h"

#include <msgbus/Id.h>

#include <Poco/Data/LOB.h>
#include <Poco/Data/Statement.h>

#include <map>
#include <stdexcept>
#include <thread>

namespace msgbus::bench {
namespace {

using namespace Poco::Data::Keywords;

constexpr int kCounterRows = 100;
/// A consumer that has not finished after this long is stopped (the figure then fails).
constexpr auto kConsumeTimeout = std::chrono::seconds(300);

void createCounter(BenchBus& bus, const std::string& table) {
    bus.execute("CREATE TABLE " + table +
                " (id INT NOT NULL PRIMARY KEY, n BIGINT NOT NULL DEFAULT 0) ENGINE=InnoDB");
    std::string sql = "INSERT INTO " + table + " (id) VALUES ";
    for (int i = 0; i < kCounterRows; ++i)
        sql += (i ? ",(" : "(") + std::to_string(i) + ")";
    bus.execute(sql);
}

} // namespace

double preload(BenchBus& bus, const std::string& exchange, std::int64_t messages,
               const std::function<std::string(std::int64_t)>& partitionKeyOf) {
    core::amqp::AmqpPublisher::Options options;
    options.connection.connectionName = "msgbus bench preload";
    core::amqp::AmqpPublisher publisher(core::amqp::AmqpNodes::parse(bus.settings.amqp.url),
                                        options);
    auto plugins = bus.plugins.current();
    Stopwatch clock;
    for (std::int64_t done = 0; done < messages;) {
        std::vector<core::amqp::OutgoingMessage> batch;
        for (std::uint64_t i = 0; i < 1000 && done < messages; ++i, ++done) {
            Message message("bench.count", benchPayload(done, kPayloadBytes));
            message.setId(Id::generate());
            message.setCreatedAt(core::nowMillis());
            if (partitionKeyOf)
                message.setPartitionKey(partitionKeyOf(done));
            batch.push_back({i, exchange, "bench.count", plugins->serializer->encode(message)});
        }
        for (const auto& outcome : publisher.publishBatch(batch, std::chrono::seconds(30)))
            if (outcome.result != core::amqp::PublishResult::Confirmed)
                throw std::runtime_error("preload: a message was not confirmed: " + outcome.error);
    }
    return static_cast<double>(messages) / clock.seconds();
}

namespace {

/// The machine's limit for a per-message inbox: for each message, in one transaction on the
/// same database, the dedup insert-or-ignore and one UPDATE, then COMMIT. Returns msg/s and
/// how many messages it did.
std::pair<double, std::int64_t> rawPerCommitLoop(BenchBus& bus, std::int64_t messages) {
    const std::string dedup = "bench_raw_dedup";
    const std::string counter = "bench_raw_counter";
    bus.execute("CREATE TABLE " + dedup + " LIKE " + bus.settings.dedupTable);
    createCounter(bus, counter);

    auto session = bus.database->session();
    Poco::Data::BLOB id;
    std::string consumer = "bench";
    std::string name = "bench.count";
    Poco::Int64 processedAt = 0;
    Poco::Int64 key = 0;
    Poco::Data::Statement insert(*session);
    insert << "INSERT INTO " << dedup
           << " (message_id, consumer, message_name, processed_at) VALUES (?, ?, ?, ?) "
              "ON DUPLICATE KEY UPDATE message_id = message_id",
        use(id), use(consumer), use(name), use(processedAt);
    Poco::Data::Statement update(*session);
    update << "UPDATE " << counter << " SET n = n + 1 WHERE id = ?", use(key);

    // Bounded in time too: on a busy disk each commit's fsync can take several milliseconds.
    const double maxSeconds = static_cast<double>(envInt("BENCH_RAW_SQL_SECONDS", 30));
    Stopwatch clock;
    const CpuClock cpu;
    std::int64_t done = 0;
    for (std::int64_t i = 0; i < messages && clock.seconds() < maxSeconds; ++i, ++done) {
        const Id messageId = Id::generate();
        id.assignRaw(messageId.bytes().data(), messageId.bytes().size());
        processedAt = core::nowMillis();
        key = i % kCounterRows;
        core::Transaction tx(*session, core::Dialect::MySQL);
        insert.execute();
        update.execute();
        tx.commit();
    }
    const double rate = static_cast<double>(done) / clock.seconds();
    reportCpu("raw SQL loop (dedup insert + UPDATE, one commit each)", cpu, done);
    const auto sum = bus.queryInt("SELECT SUM(n) FROM " + counter);
    if (sum != done)
        note("raw SQL loop: counter sum " + std::to_string(sum) + ", expected " +
             std::to_string(done));
    if (done < messages)
        note("raw SQL loop: stopped after " + std::to_string(static_cast<int>(maxSeconds)) +
             " s (BENCH_RAW_SQL_SECONDS) with " + std::to_string(done) + " of " +
             std::to_string(messages) + " messages");
    return {rate, done};
}

} // namespace

InboxRates inboxThroughput(std::int64_t messages, std::int64_t rawMessages,
                           const BrokerTarget& target, int concurrency, InboxWork work) {
    const bool batchHandler = work == InboxWork::Batch;
    const bool ownRows = work == InboxWork::OwnRows;
    ScratchQueue queue("bench.#", target);
    ScratchMysqlDatabase mysql;
    std::map<std::string, std::string> extra{{"inbox.consumers", "bench"},
                                             {"inbox.consumer.bench.queue", queue.queue()},
                                             {"inbox.consumer.bench.plugins", "bench"},
                                             {"amqp.url", target.urls}};
    if (concurrency > 0)
        extra["inbox.consumer.bench.concurrency"] = std::to_string(concurrency);
    if (batchHandler)
        extra["plugin.bench.library"] = "libmsgbus-bench-batch-handlers.so";
    if (ownRows)
        extra["plugin.bench.config.own_table"] = "bench_own";
    if (const long prefetch = envInt("BENCH_INBOX_PREFETCH", 0))
        extra["inbox.consumer.bench.prefetch"] = std::to_string(prefetch);
    BenchBus bus("MySQL", mysql.connection(), queue.exchange(), extra);
    const auto& settings = bus.settings;
    createCounter(bus, "bench_counter");
    bus.execute("CREATE TABLE bench_own (k BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB");

    const std::string where = target.describe();
    const std::string inbox = batchHandler ? "inbox with the batch handler"
                              : ownRows    ? "inbox, a row of its own per message"
                                           : "inbox";
    const std::string figure = where.empty() ? inbox : inbox + " (" + where + ")";
    const double preloadRate = preload(bus, queue.exchange(), messages);
    const auto queued = queue.settledMessageCount(static_cast<std::uint64_t>(messages));
    note(figure + ": " + std::to_string(queued) + " messages pre-loaded with AmqpPublisher " +
         "(batches of 1000) at " + std::to_string(static_cast<int>(preloadRate)) + " msg/s");
    if (queued != static_cast<std::uint64_t>(messages))
        throw std::runtime_error("the queue holds " + std::to_string(queued) + " messages, not " +
                                 std::to_string(messages));

    core::StopToken stop;
    core::StopToken finished;
    std::thread watchdog([&] {
        if (!finished.sleepFor(kConsumeTimeout))
            stop.requestStop();
    });
    Stopwatch clock;
    const CpuClock cpu;
    {
        core::InboxConsumer consumer(
            *bus.database, bus.plugins,
            core::inboxWorkerSettingsOf(settings, settings.inbox.consumers[0]), bus.metrics, {});
        consumer.run(stop, static_cast<std::uint64_t>(messages));
    }
    const double elapsed = clock.seconds();
    finished.requestStop();
    watchdog.join();

    const auto counted = bus.queryInt(ownRows ? "SELECT COUNT(*) FROM bench_own"
                                              : "SELECT SUM(n) FROM bench_counter");
    const auto deduped = bus.queryInt("SELECT COUNT(*) FROM " + settings.dedupTable);
    const auto failed = bus.queryInt("SELECT COUNT(*) FROM " + settings.failedTable);
    if (counted != messages || deduped != messages || failed != 0)
        note(figure + ": counter sum " + std::to_string(counted) + ", dedup rows " +
             std::to_string(deduped) + ", retry/failed rows " + std::to_string(failed) +
             " (expected " + std::to_string(messages) + ", " + std::to_string(messages) + ", 0)");
    if (stop.stopRequested())
        throw std::runtime_error("the inbox consumer did not finish " + std::to_string(messages) +
                                 " messages within " + std::to_string(kConsumeTimeout.count()) +
                                 " s");
    const double inboxRate = static_cast<double>(counted) / elapsed;
    const std::string statements = batchHandler ? "1 UPDATE per batch"
                                   : ownRows    ? "1 INSERT each, no shared row"
                                                : "1 UPDATE each of 100 shared rows";
    report(inbox + " (MariaDB, " + (where.empty() ? "" : where + ", ") + std::to_string(messages) +
               " msgs, " + statements + ", prefetch " +
               std::to_string(settings.inbox.consumers[0].prefetch) + ", concurrency " +
               std::to_string(settings.inbox.consumers[0].concurrency) + ")",
           inboxRate, "msg/s");
    reportCpu(figure, cpu, counted);
    note(figure + ", concurrency " + std::to_string(settings.inbox.consumers[0].concurrency) +
         ": " +
         std::to_string(static_cast<long long>(
             100000.0 * static_cast<double>(bus.metrics.settleFrames.load()) /
             static_cast<double>(std::max<std::int64_t>(1, counted)))) +
         " ack/nack frames per 100,000 messages");
    if (rawMessages == 0)
        return {inboxRate, std::nullopt};

    const auto [rawRate, rawDone] = rawPerCommitLoop(bus, rawMessages);
    report("raw SQL dedup insert + UPDATE, one commit each (MariaDB, " + std::to_string(rawDone) +
               " msgs)",
           rawRate, "msg/s");
    const double ratio = inboxRate / rawRate;
    const bool met = ratio >= 2.0 && inboxRate >= 5000;
    reportRatio("inbox / raw per-commit loop", ratio,
                std::string("targets >= 2.00 and >= 5000 msg/s: ") + (met ? "met" : "MISSED"));
    return {inboxRate, rawRate};
}

void inboxPhases(std::int64_t messages) {
    ScratchQueue queue("bench.#");
    ScratchMysqlDatabase mysql;
    BenchBus bus("MySQL", mysql.connection(), queue.exchange(),
                 {{"inbox.consumers", "bench"},
                  {"inbox.consumer.bench.queue", queue.queue()},
                  {"inbox.consumer.bench.plugins", "bench"}});
    const auto& settings = bus.settings;
    const auto& consumerSettings = settings.inbox.consumers[0];
    createCounter(bus, "bench_counter");
    preload(bus, queue.exchange(), messages);

    // InboxConsumer::run's loop, each step timed: gather a batch (first delivery, then up to
    // inbox.batch_size within inbox.batch_wait_ms), MessageProcessor::processBatch (decode,
    // dedup, handlers, commit), then one multiple ack.
    core::MessageProcessor processor(*bus.database, core::pipelineSettingsOf(settings), bus.metrics,
                                     consumerSettings.name);
    core::amqp::AmqpConsumer::Options options;
    options.queue = queue.queue();
    options.prefetch = static_cast<std::uint16_t>(consumerSettings.prefetch);
    options.connectionName = "msgbus bench inbox steps";
    core::amqp::AmqpConsumer consumer(core::amqp::AmqpUrl::parse(settings.amqp.url), options);
    consumer.connect();
    auto plugins = bus.plugins.current();
    double gather = 0, process = 0, ack = 0;
    std::int64_t batches = 0, processed = 0;
    Stopwatch total;
    std::vector<core::amqp::Delivery> deliveries;
    while (processed < messages && total.seconds() < 300) {
        Stopwatch step;
        auto first = consumer.next(std::chrono::milliseconds(200));
        if (!first)
            continue;
        deliveries.clear();
        deliveries.push_back(std::move(*first));
        const auto deadline = std::chrono::steady_clock::now() + settings.inbox.batchWait;
        while (deliveries.size() < static_cast<std::size_t>(settings.inbox.batchSize)) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            auto next = consumer.next(std::max(left, std::chrono::milliseconds(0)));
            if (!next)
                break;
            deliveries.push_back(std::move(*next));
        }
        gather += step.millis();

        step = Stopwatch();
        std::vector<core::InboxItem> items;
        items.reserve(deliveries.size());
        for (const auto& d : deliveries)
            items.push_back(core::InboxItem{&d.wire, 1, 0});
        processor.processBatch(*plugins, items);
        process += step.millis();

        step = Stopwatch();
        const auto& last = deliveries.back();
        consumer.ack(last.deliveryTag, true, last.connectionEpoch);
        ack += step.millis();
        ++batches;
        processed += static_cast<std::int64_t>(deliveries.size());
    }
    consumer.close();
    const double elapsed = total.millis();
    if (batches == 0)
        throw std::runtime_error("inbox steps: nothing was consumed");

    // The handler's own share: the same number of UPDATEs, one Poco statement each as the
    // bench handler runs them, in transactions of the mean batch size.
    const auto perBatch = std::max<std::int64_t>(1, processed / batches);
    double handlerSql = 0;
    {
        auto session = bus.database->session();
        Stopwatch step;
        for (std::int64_t done = 0; done < processed;) {
            core::Transaction tx(*session, core::Dialect::MySQL);
            for (std::int64_t i = 0; i < perBatch && done < processed; ++i, ++done) {
                Poco::Int64 key = done % kCounterRows;
                *session << "UPDATE bench_counter SET n = n + 1 WHERE id = ?", use(key), now;
            }
            tx.commit();
        }
        handlerSql = step.millis();
    }
    // The same with one prepared statement re-executed: what a cached statement would save.
    double handlerSqlPrepared = 0;
    {
        auto session = bus.database->session();
        Poco::Int64 key = 0;
        Poco::Data::Statement update(*session);
        update << "UPDATE bench_counter SET n = n + 1 WHERE id = ?", use(key);
        Stopwatch step;
        for (std::int64_t done = 0; done < processed;) {
            core::Transaction tx(*session, core::Dialect::MySQL);
            for (std::int64_t i = 0; i < perBatch && done < processed; ++i, ++done) {
                key = done % kCounterRows;
                update.execute();
            }
            tx.commit();
        }
        handlerSqlPrepared = step.millis();
    }

    const double n = static_cast<double>(batches);
    const std::string per = "MariaDB, per batch of " + std::to_string(perBatch) + " msgs, " +
                            std::to_string(batches) + " batches";
    report("inbox step: wait for deliveries (" + per + ")", gather / n, "ms", 2);
    report("inbox step: processBatch (" + per + ")", process / n, "ms", 2);
    report("inbox step: ack (" + per + ")", ack / n, "ms", 2);
    report("inbox step: the handlers' UPDATEs alone, same batches (" + per + ")", handlerSql / n,
           "ms", 2);
    report("inbox step: the same UPDATEs through one re-executed prepared statement (" + per + ")",
           handlerSqlPrepared / n, "ms", 2);
    note("inbox steps: " +
         std::to_string(static_cast<int>(static_cast<double>(processed) / (elapsed / 1000))) +
         " msg/s overall; processBatch " +
         std::to_string(static_cast<int>(100 * process / elapsed + 0.5)) +
         "% of the time, of which the handlers' UPDATEs ~" +
         std::to_string(static_cast<int>(100 * handlerSql / std::max(process, 1.0) + 0.5)) + "%");
}

} // namespace msgbus::bench
