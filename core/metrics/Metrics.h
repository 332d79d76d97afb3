#pragma once

#include "core/metrics/CounterByConsumer.h"
#include "core/metrics/HeldDeliveries.h"
#include "core/metrics/Histogram.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace msgbus::core {

class SpanExporter;

/// The broker node each worker's connection uses, for /ready and the logs of a cluster.
/// Thread-safe; written when a connection is made, read by /ready.
class BrokerNodesInUse {
public:
    /// worker ("relay 0", "consumer orders") now uses node ("host:port vhost '/'"; "" when it
    /// has no connection).
    void set(const std::string& worker, const std::string& node);
    /// "consumer orders on 127.0.0.1:5672 vhost '/', relay 0 on ..."; "" when none.
    std::string describe() const;

private:
    mutable std::mutex _mutex;
    std::map<std::string, std::string> _nodes;
};

/// Process-wide counters, updated lock-free by the workers (relaxed atomics: they are
/// statistics, not synchronisation) and rendered by `msgbus run` at exit and by /metrics.
struct Metrics {
    std::atomic<std::uint64_t> published{0};    ///< outbox rows handed to the broker
    std::atomic<std::uint64_t> confirmed{0};    ///< confirmed by the broker and deleted
    std::atomic<std::uint64_t> consumed{0};     ///< deliveries whose handlers committed
    std::atomic<std::uint64_t> deduplicated{0}; ///< deliveries skipped as duplicates
    std::atomic<std::uint64_t> retried{0};      ///< retry rows written
    std::atomic<std::uint64_t> failed{0};       ///< rows moved to the failed table
    std::atomic<std::uint64_t> parked{0};       ///< deliveries parked behind their key's head
    std::atomic<std::uint64_t> released{0};     ///< parked messages run after their head
    /// Deliveries the inbox gave back to the broker (nack with requeue): each costs the message
    /// a redelivery, and on a quorum queue a step towards its x-delivery-limit.
    std::atomic<std::uint64_t> givenBack{0};
    /// basic.ack and basic.nack frames the inbox sent: fewer than the deliveries when one
    /// "multiple" frame settles a run of them.
    std::atomic<std::uint64_t> settleFrames{0};
    /// Inbox batches run again after losing a lock conflict (deadlock or lock wait timeout).
    CounterByConsumer lockConflictReruns;
    std::atomic<std::uint64_t> reloads{0};
    std::atomic<std::uint64_t> reloadFailures{0};
    std::atomic<std::uint64_t> doorbellRings{0};   ///< rings for this host's outbox table
    std::atomic<std::uint64_t> doorbellIgnored{0}; ///< other datagrams on the doorbell
    /// Relay wake-ups the rings caused: fewer than the rings when they come faster than the
    /// listener's quiet period.
    std::atomic<std::uint64_t> doorbellWakeups{0};

    BrokerNodesInUse brokerNodes;
    /// What the inbox consumers hold while their database is away (for /ready).
    HeldDeliveries heldDeliveries;
    /// Where spans go (tracing.otlp.endpoint); null when tracing is off. Set before the workers
    /// start, owned by the host.
    SpanExporter* spans = nullptr;

    Histogram relayLatency;    ///< outbox created_at → broker confirm
    Histogram handlerDuration; ///< one inbox batch: decode, handlers, commit
    Histogram inboxLag;        ///< producer x-created-at → handler commit, per handled message

    /// When a worker last talked to the database / the broker successfully (steady-clock ms),
    /// for /ready.
    std::atomic<std::int64_t> databaseOkAt{0};
    std::atomic<std::int64_t> brokerOkAt{0};
    static std::int64_t steadyMillis();
    void databaseOk() { databaseOkAt.store(steadyMillis(), std::memory_order_relaxed); }
    void brokerOk() { brokerOkAt.store(steadyMillis(), std::memory_order_relaxed); }

    static void add(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) {
        counter.fetch_add(n, std::memory_order_relaxed);
    }

    /// "published=… confirmed=… consumed=… deduplicated=… retried=… failed=…"
    std::string summary() const;
    /// Prometheus text exposition of the counters.
    std::string prometheus() const;
};

} // namespace msgbus::core
