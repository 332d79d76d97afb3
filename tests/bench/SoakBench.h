#pragma once

namespace msgbus::bench {

/// Figure "soak" (only with BENCH_ONLY=soak: it takes ten minutes by default). A real `msgbus
/// run` process with the orders sample on MariaDB and the host's default settings, fed for
/// seconds s by a producer that commits rate orders per second (an orders row and its
/// order.placed event per order, rate / 100 orders per transaction, one every 10 ms). Each
/// order travels producer → relay → "placed" consumer (projection + order.confirmed published
/// through the outbox, one transaction) → relay → "confirmations" consumer, so the host relays
/// and consumes 2 × rate msg/s.
///
/// Every 10 s it samples the host process (/proc/<pid>: VmRSS, open fds, threads, CPU time)
/// and prints a progress note each minute. After the producer stops it waits for the pipeline
/// to drain, stops the host with SIGTERM and prints per minute of production the end-to-end
/// latency (order commit → confirmation handler, both stamped by the database's clock inside
/// their transactions) p50/p99/max beside the host's RSS and fds; then the RSS growth from
/// minute 2 (the middle of runs shorter than 4 minutes) to the end against a target of
/// <= 10 %, the fd count against "no growth", and the orders lost and doubled, counted in the
/// database (the sample's effect tables lose their unique keys here, so that a second effect
/// is stored and counted instead of failing its handler). Throws when anything was lost,
/// doubled or left behind, when the host dies, or when the pipeline does not drain.
void soak(int rate, int seconds);

} // namespace msgbus::bench
