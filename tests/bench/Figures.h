#pragma once

#include <cstdint>
#include <string>

namespace msgbus::bench {

/// Figure 2: the machine's limit for the relay. rabbitmq-c directly (AmqpConnection only to
/// connect): publish batch persistent, mandatory messages shaped like the relay's (same
/// properties, headers and payload size), wait for every confirm, repeat until messages are
/// out. Prints the rate (its label ends with when, e.g. "before the relays") and the time split
/// between publishing and waiting; returns msg/s.
double rawPublishWithConfirms(std::int64_t messages, int batch, const std::string& when);

/// Figure 1: rows due rows in a fresh outbox (filled with multi-row INSERTs), then the time
/// until workers OutboxRelay threads (relayBatch() in a loop) have emptied it. connector:
/// "MySQL" or "SQLite". Checks the queue got every row. Prints and returns msg/s.
double relayThroughput(const std::string& connector, int workers, std::int64_t rows);

/// Where a relay batch spends its time: the steps of OutboxRelay::relayBatch (claim, encode
/// and route, publish and confirm, delete and commit) re-done here with the same core classes
/// and a timer around each, over rows rows on MariaDB. Prints ms per batch for each step.
void relayPhases(std::int64_t rows);

/// Figure 3: a producer commits rate outbox rows per second (10 every 10 ms) on MariaDB for
/// seconds s while the relay runs as `msgbus run` does (core::Host, default settings) and a
/// consumer records now - x-created-at for each delivery. Prints p50/p99/max in ms.
void relayLatency(int rate, int seconds);

/// Figure 4: messages deliveries pre-loaded in a queue, consumed by the host's InboxConsumer
/// with the bench handler (one UPDATE each) on MariaDB; beside it the raw per-message loop
/// (dedup insert + UPDATE, one commit each) for rawMessages messages. Prints both and the ratio.
void inboxThroughput(std::int64_t messages, std::int64_t rawMessages);

/// Where an inbox batch spends its time: InboxConsumer::run's steps (gather deliveries,
/// MessageProcessor::processBatch, ack) re-done with the same core classes and timed, over
/// messages pre-loaded messages on MariaDB; then the handlers' UPDATEs alone in the same
/// batches. Prints ms per batch for each.
void inboxPhases(std::int64_t messages);

/// Figure 5: producer commit → handler commit through the whole host (core::Host as in
/// `msgbus run`: relays and an inbox consumer) at rate msg/s offered for seconds s on MariaDB.
/// Prints p50/p99/max in ms.
void endToEndLatency(int rate, int seconds);

} // namespace msgbus::bench
