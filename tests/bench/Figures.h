#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace msgbus::bench {

struct BrokerTarget;

// The functions that take a BrokerTarget serve two figures each: their own, against
// singleBroker() (classic queues on the development RabbitMQ), and the "quorum" figure,
// against clusterQuorum(); target.describe() then goes into the labels.
//
// Figure "quorum" (BenchMain): the same measures on the local three-node RabbitMQ cluster
// (MSGBUS_TEST_CLUSTER_URLS; the figure fails without it), each into a fresh quorum queue
// replicated on the three nodes and reached through the nodes' URL list as amqp.url takes it:
// rawPublishWithConfirms before and after relayThroughput("MySQL", 1 thread) with
// BENCH_QUORUM_ROWS (50000) messages and rows each, their ratio (relay / mean of the two raw
// runs, target >= 0.90), then inboxThroughput over BENCH_QUORUM_INBOX_MESSAGES (50000)
// messages without a raw SQL loop of its own (the "inbox" figure's, when it ran, gives the
// ratio). A connection starts at a random node, so the figures move with whether it is the
// queue leader's node; the raw publisher's node is printed.

/// Figure 2: the machine's limit for the relay. rabbitmq-c directly (AmqpConnection only to
/// connect, to the next node of target): publish batch persistent, mandatory messages shaped
/// like the relay's (same properties, headers and payload size) into a fresh queue of target's
/// type, wait for every confirm, repeat until messages are out. Prints the rate (its label ends
/// with when, e.g. "before the relays"), the time split between publishing and waiting and, on
/// a cluster, the node it used; returns msg/s.
double rawPublishWithConfirms(std::int64_t messages, int batch, const std::string& when,
                              const BrokerTarget& target);

/// Figure 1: rows due rows in a fresh outbox (filled with multi-row INSERTs), then the time
/// until workers OutboxRelay threads (relayBatch() in a loop) have emptied it into a fresh
/// queue of target's type (amqp.url = target.urls). connector: "MySQL" or "SQLite". Checks the
/// queue got every row. extra: more host properties (outbox.keep_delivered, say), named in
/// the figure. Prints and returns msg/s.
double relayThroughput(const std::string& connector, int workers, std::int64_t rows,
                       const BrokerTarget& target,
                       const std::map<std::string, std::string>& extra = {});

/// Where a relay batch spends its time: the steps of OutboxRelay::relayBatch (claim, encode
/// and route, publish and confirm, delete and commit) re-done here with the same core classes
/// and a timer around each, over rows rows on MariaDB. Prints ms per batch for each step.
void relayPhases(std::int64_t rows);

/// How a latency figure runs: whether the producer rings the doorbell after each commit (the
/// host then listens on an address of the bench's own; without rings its doorbell is off), and
/// more host properties (inbox.batch_wait_ms, say), all named in the figure's label.
struct LatencyRun {
    bool ring = false;
    std::map<std::string, std::string> extra;
    /// End-to-end only: also time each message's broker delivery at a tap queue bound beside
    /// the inbox's. The broker then routes, stores and delivers every message twice, which
    /// costs each message about a millisecond on this machine, so a split run is reported on
    /// its own and never stands for the figure.
    bool split = false;

    /// "doorbell" or "no doorbell", then the extra properties.
    std::string label() const;
};

/// The percentiles a latency figure printed, in ms.
struct Latencies {
    double p50 = 0;
    double p99 = 0;
};

/// Figure 3: a producer commits rate outbox rows per second (10 every 10 ms) on MariaDB for
/// seconds s while the relay runs as `msgbus run` does (core::Host, default settings but run's)
/// and a consumer records now - x-created-at for each delivery. Prints p50/p99/max in ms.
Latencies relayLatency(int rate, int seconds, const LatencyRun& run);

/// The rates of inboxThroughput, msg/s: raw is empty when its loop was not run.
struct InboxRates {
    double inbox = 0;
    std::optional<double> raw;
};

/// Figure 4: messages deliveries pre-loaded in a fresh queue of target's type, consumed by the
/// host's InboxConsumer (amqp.url = target.urls) with the bench handler (one UPDATE each) on
/// MariaDB; beside it the raw per-message loop (dedup insert + UPDATE, one commit each) for
/// rawMessages messages, none when rawMessages is 0. Prints the rates and, with the raw loop,
/// their ratio against its targets. concurrency: batches in flight (0: the host's default).
/// work: what the handler does (InboxWork). Also notes the ack and nack frames the consumer
/// sent per 100,000 messages.
enum class InboxWork {
    SharedCounters, ///< one UPDATE of one of 100 counter rows each: batches in flight contend
    OwnRows,        ///< one INSERT of a row of its own each: nothing to contend for
    Batch,          ///< the batch handler: one UPDATE per batch handler call
};
InboxRates inboxThroughput(std::int64_t messages, std::int64_t rawMessages,
                           const BrokerTarget& target, int concurrency = 0,
                           InboxWork work = InboxWork::SharedCounters);

/// The machine's limit for a consumer: messages bench.count deliveries pre-loaded in a fresh
/// queue as for inboxThroughput, then consumed by rabbitmq-c directly (no database, no
/// decoding) with the inbox's default prefetch, acked with one multiple ack every half
/// prefetch so that the broker never waits for the consumer. Prints and returns msg/s.
double consumeCeiling(std::int64_t messages, const std::string& when);

/// Where an inbox batch spends its time: InboxConsumer::run's steps (gather deliveries,
/// MessageProcessor::processBatch, ack) re-done with the same core classes and timed, over
/// messages pre-loaded messages on MariaDB; then the handlers' UPDATEs alone in the same
/// batches. Prints ms per batch for each.
void inboxPhases(std::int64_t messages);

/// Figure 5: producer commit → handler commit through the whole host (core::Host as in
/// `msgbus run`: relays and an inbox consumer) at rate msg/s offered for seconds s on MariaDB.
/// Prints p50/p99/max in ms.
Latencies endToEndLatency(int rate, int seconds, const LatencyRun& run);

/// Figure 5's floor, run beside it: the same load and durability through raw loops with no
/// msgbus (RawEndToEndBench.cpp): a producer committing outbox rows, a relay (claim FOR UPDATE
/// SKIP LOCKED, rabbitmq-c publish and confirm, DELETE, COMMIT) woken in process after each
/// commit, a consumer (one multi-row INSERT and COMMIT of what has arrived, then an ack).
/// Prints commit → handler commit p50/p99/max in ms.
Latencies rawEndToEndLatency(int rate, int seconds);

/// Figure "console": rows failed rows of one group (seeded by INSERT ... SELECT doubling) and 3
/// small groups in a fresh MariaDB database, the console served in-process (HTTP on loopback);
/// prints p50 and p99 over requests GETs of the groups page and of the big group's first page
/// (its total included).
void consoleLatency(std::int64_t rows, int requests);

/// Figure "cleanup": rows old deduplication rows (two days, 10 days ago; time-ordered ids;
/// seeded by INSERT ... SELECT from seq_1_to_N) in a fresh daily-partitioned MariaDB table,
/// dropped by `msgbus cleanup:dedup` (DROP PARTITION of the whole days), then again in an
/// unpartitioned table, removed by the same command's DELETE batches of 1,000. Meanwhile the
/// host's inbox consumer (InboxConsumer, the bench handler) handles BENCH_CLEANUP_RATE (500)
/// msg/s published at an even pace, its dedup rows going into the table being cleaned. Prints
/// each cleanup's time and the inbox's p50/p99/max (createdAt -> handler) in the 20 s before
/// it and while it runs; throws when a message was lost, doubled or failed.
void cleanupComparison(std::int64_t rows);

/// Figure "scheduled": rows messages written with delivery times spread evenly over
/// spreadSeconds (the first due 5 s after the writing starts), then `msgbus run`'s host (no
/// doorbell, outbox.poll_interval_ms = pollMs) on MariaDB and a consumer that records each
/// message's lateness (receive time minus delivery time). Prints p50/p99/max in ms; throws
/// when a message is missing or arrived before its time.
Latencies scheduledLateness(std::int64_t rows, int spreadSeconds, int pollMs);

/// Figure "ordered": messages bench.count messages over 1,000 partition keys, the first message
/// of 1 % of the keys failing its first attempt, consumed with the retry worker running beside
/// the consumer until every effect is committed: unordered, then with
/// inbox.consumer.<c>.ordered = true, interleaved (U O O U). Prints each run's rate, each mode's
/// mean and the ratio of the means (target >= 0.90).
double orderedInbox(std::int64_t messages);

} // namespace msgbus::bench
