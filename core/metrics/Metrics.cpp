#include "core/metrics/Metrics.h"

#include "core/tracing/SpanExporter.h"

#include <chrono>

namespace msgbus::core {

void BrokerNodesInUse::set(const std::string& worker, const std::string& node) {
    std::lock_guard lock(_mutex);
    _nodes[worker] = node;
}

std::string BrokerNodesInUse::describe() const {
    std::lock_guard lock(_mutex);
    std::string out;
    for (const auto& [worker, node] : _nodes)
        if (!node.empty())
            out += (out.empty() ? "" : ", ") + worker + " on " + node;
    return out;
}

std::int64_t Metrics::steadyMillis() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string Metrics::summary() const {
    auto v = [](const std::atomic<std::uint64_t>& c) {
        return std::to_string(c.load(std::memory_order_relaxed));
    };
    return "published=" + v(published) + " confirmed=" + v(confirmed) + " consumed=" + v(consumed) +
           " deduplicated=" + v(deduplicated) + " retried=" + v(retried) + " failed=" + v(failed);
}

std::string Metrics::prometheus() const {
    std::string out;
    auto counter = [&out](const char* name, const char* help, const std::atomic<std::uint64_t>& c) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" +
               name + " " + std::to_string(c.load(std::memory_order_relaxed)) + "\n";
    };
    counter("msgbus_outbox_published_total", "Outbox messages published to the broker", published);
    counter("msgbus_outbox_confirmed_total", "Outbox messages confirmed and deleted", confirmed);
    counter("msgbus_inbox_consumed_total", "Deliveries handled and committed", consumed);
    counter("msgbus_inbox_deduplicated_total", "Deliveries skipped as duplicates", deduplicated);
    counter("msgbus_inbox_given_back_total", "Deliveries given back to the broker (requeued)",
            givenBack);
    counter("msgbus_retried_total", "Retry rows written", retried);
    counter("msgbus_failed_total", "Rows moved to the failed table", failed);
    counter("msgbus_inbox_parked_total",
            "Deliveries parked behind a failed message of their partition key", parked);
    counter("msgbus_inbox_released_total", "Parked messages run after their key's head", released);
    counter("msgbus_plugin_reloads_total", "Successful plugin reloads", reloads);
    counter("msgbus_plugin_reload_failures_total", "Failed plugin reloads (old set kept)",
            reloadFailures);
    counter("msgbus_doorbell_rings_total", "Doorbell rings received for this host's outbox",
            doorbellRings);
    counter("msgbus_doorbell_ignored_total",
            "Datagrams on the doorbell that were no ring for this host's outbox", doorbellIgnored);
    counter("msgbus_doorbell_wakeups_total", "Relay wake-ups caused by doorbell rings",
            doorbellWakeups);
    counter("msgbus_inbox_settle_frames_total",
            "basic.ack and basic.nack frames sent by the inbox consumers", settleFrames);
    out += lockConflictReruns.render("msgbus_inbox_lock_conflict_reruns_total",
                                     "Inbox batches run again after losing a lock conflict");
    if (spans) {
        const auto plain = [&out](const char* name, const char* help, std::uint64_t value) {
            out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" +
                   name + " " + std::to_string(value) + "\n";
        };
        plain("msgbus_spans_exported_total", "Spans sent to the OTLP endpoint", spans->exported());
        plain("msgbus_spans_dropped_total", "Spans dropped (queue full, export failed)",
              spans->dropped());
    }
    out += relayLatency.render("msgbus_relay_latency_seconds",
                               "Outbox row creation to broker confirm");
    out += handlerDuration.render("msgbus_inbox_batch_duration_seconds",
                                  "Inbox batch: decode, handlers, commit");
    out += inboxLag.render("msgbus_inbox_lag_seconds",
                           "Producer commit (x-created-at) to handler commit, per message");
    return out;
}

} // namespace msgbus::core
