// GET /api/queues and GET /api/hosts: the broker's queues and the hosts working them.
#include "core/config/Settings.h"
#include "core/console/ApiAnswer.h"
#include "core/console/ListAnswer.h"
#include "core/console/OperationsHandlers.h"
#include "core/db/Database.h"
#include "core/db/HeartbeatStore.h"
#include "core/util/Clock.h"

#include <algorithm>
#include <map>

namespace msgbus::core::console {

ApiResponse queues(const QueueSampler& sampler, const ApiRequest& request) {
    const ListFormat format = listFormatOf(request);
    const QueueSnapshot snapshot = sampler.sample();
    ListAnswer answer("queues",
                      {"name", "consumer", "exists", "ready", "unacked", "consumers", "oldest_ms"},
                      "queues");
    for (const auto& q : snapshot.queues) {
        auto figure = [&q](std::int64_t amqp::QueueStatus::*field) {
            return q.status ? std::optional(q.status.value().*field) : std::nullopt;
        };
        // The timestamp property of the head message, which msgbus's json serializer sets to
        // the message's creation (seconds); quorum queues do not report it.
        std::optional<std::int64_t> oldest;
        if (q.status && q.status->headTimestamp)
            oldest = *q.status->headTimestamp * 1000;
        answer.add({Cell::of(q.queue), Cell::of(q.consumer), Cell::of(q.exists),
                    Cell::of(figure(&amqp::QueueStatus::ready)),
                    Cell::of(figure(&amqp::QueueStatus::unacked)),
                    Cell::of(figure(&amqp::QueueStatus::consumers)), Cell::of(oldest)});
    }
    std::string history = "{";
    for (const auto& [queue, points] : sampler.history()) {
        history += (history.size() > 1 ? "," : "") + jsonText(queue) + ":[";
        for (std::size_t i = 0; i < points.size(); ++i)
            history += (i ? ",[" : "[") + std::to_string(points[i][0]) + "," +
                       std::to_string(points[i][1]) + "," + std::to_string(points[i][2]) + "]";
        history += "]";
    }
    answer.member("history", history + "}");
    answer.member("error", snapshot.error.empty() ? "null" : jsonText(snapshot.error));
    return answer.answer(format);
}

namespace {

/// up: a beat within 2 intervals; late: within 10; gone: older, or stopped.
std::string stateOf(const HostBeat& beat, std::int64_t nowMs) {
    const std::int64_t interval = std::max<std::int64_t>(beat.beatIntervalMs, 1);
    if (beat.stoppedAt || beat.lastBeat < nowMs - 10 * interval)
        return "gone";
    return beat.lastBeat >= nowMs - 2 * interval ? "up" : "late";
}

/// The plugin set most hosts that are not gone run ("" when none): a host running another
/// missed a reload or a deployment.
std::string commonPluginSet(const std::vector<HostBeat>& beats, std::int64_t nowMs) {
    std::map<std::string, int> counts;
    for (const auto& beat : beats)
        if (stateOf(beat, nowMs) != "gone")
            ++counts[jsonText(beat.plugins)];
    std::string best;
    int most = 0;
    for (const auto& [set, count] : counts)
        if (count > most) {
            best = set;
            most = count;
        }
    return best;
}

} // namespace

ApiResponse hosts(const OperationsContext& context, const ApiRequest& request) {
    const ListFormat format = listFormatOf(request);
    std::vector<HostBeat> beats;
    {
        auto session = context.database.session();
        beats =
            HeartbeatStore(context.database.dialect(), context.settings.host.table).list(*session);
    }
    const std::int64_t nowMs = nowMillis();
    const std::string common = commonPluginSet(beats, nowMs);
    ListAnswer answer("hosts",
                      {"id", "version", "plugin_generation", "plugins", "consumers", "started_at",
                       "last_beat", "state", "plugins_differ", "stopped_at", "hostname", "pid",
                       "beat_interval_ms"},
                      "hosts");
    for (const auto& b : beats) {
        const std::string state = stateOf(b, nowMs);
        const bool differs = state != "gone" && jsonText(b.plugins) != common;
        answer.add({Cell::of(b.id), Cell::of(b.version), Cell::of(b.pluginGeneration),
                    Cell::of(b.plugins), Cell::of(b.consumers), Cell::of(b.startedAt),
                    Cell::of(b.lastBeat), Cell::of(state), Cell::of(differs), Cell::of(b.stoppedAt),
                    Cell::of(b.hostname), Cell::of(b.pid), Cell::of(b.beatIntervalMs)});
    }
    return answer.answer(format);
}

} // namespace msgbus::core::console
