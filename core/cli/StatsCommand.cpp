// msgbus stats: the outbox, retry and failed counts and every configured queue as the broker
// (and, with amqp.management.url, its management API) reports it.
#include "core/amqp/AmqpConnection.h"
#include "core/amqp/AmqpNodes.h"
#include "core/amqp/ManagementApi.h"
#include "core/amqp/Topology.h"
#include "core/cli/CommandLine.h"
#include "core/cli/Commands.h"
#include "core/cli/Loaded.h"
#include "core/cli/ParkedSequences.h"
#include "core/db/Database.h"
#include "core/failed/FailedStore.h"
#include "core/outbox/OutboxStore.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"

#include <msgbus/internal/Json.h>

#include <algorithm>
#include <iostream>
#include <optional>
#include <set>

namespace msgbus::core::cli {

namespace {

/// The queues of a configuration (declared ones and consumed ones, once each) with what the
/// broker says of them; error says why the broker could not be asked (then no counts).
struct BrokerQueues {
    struct Queue {
        std::string name;
        std::optional<amqp::QueueCounts> counts;
        std::optional<amqp::QueueStatus> status; ///< from the management API, when configured
    };
    std::vector<Queue> queues;
    std::string error;
    std::string managementError;
};

/// The management API's view of each queue (unacked, head timestamp); its failure is one more
/// line, never the end of stats.
void addManagementStatus(const Settings& s, BrokerQueues& out) {
    if (s.amqp.managementUrl.empty())
        return;
    try {
        const auto first = amqp::AmqpNodes::parse(s.amqp.url).urls().front();
        amqp::ManagementApi api(s.amqp.managementUrl, s.amqp.managementHttp, first.user(),
                                first.password());
        for (auto& q : out.queues)
            q.status = api.queue(first.vhost(), q.name);
    } catch (const std::exception& e) {
        out.managementError = errorText(e);
    }
}

std::string queueJson(const BrokerQueues::Queue& q, std::int64_t nowMs) {
    std::string out = "{\"queue\":" + json::quote(q.name) +
                      ",\"exists\":" + (q.counts || q.status ? "true" : "false");
    if (q.counts || q.status) {
        const auto ready = q.status ? q.status->ready : q.counts->ready;
        const auto consumers = q.status ? q.status->consumers : q.counts->consumers;
        out += ",\"ready\":" + std::to_string(ready) +
               ",\"unacked\":" + (q.status ? std::to_string(q.status->unacked) : "null") +
               ",\"consumers\":" + std::to_string(consumers);
        std::string lag = "null";
        if (q.status && q.status->headTimestamp)
            lag =
                std::to_string(std::max<std::int64_t>(0, nowMs / 1000 - *q.status->headTimestamp));
        out += ",\"oldest_ready_age_seconds\":" + lag;
    }
    return out + "}";
}

std::string queueLine(const BrokerQueues::Queue& q, std::int64_t nowMs) {
    if (!q.counts && !q.status)
        return "missing (run msgbus setup)";
    if (!q.status)
        return std::to_string(q.counts->ready) + " ready (the consumer lag), " +
               std::to_string(q.counts->consumers) + " consumer(s)";
    std::string line = std::to_string(q.status->ready) + " ready, " +
                       std::to_string(q.status->unacked) + " unacked, " +
                       std::to_string(q.status->consumers) + " consumer(s)";
    if (q.status->headTimestamp)
        line += ", oldest ready " +
                std::to_string(std::max<std::int64_t>(0, nowMs / 1000 - *q.status->headTimestamp)) +
                " s old (the consumer lag)";
    return line;
}

BrokerQueues brokerQueuesOf(const Settings& s) {
    BrokerQueues out;
    std::set<std::string> names;
    for (const auto& q : s.amqp.queues)
        names.insert(q.name);
    for (const auto& c : s.inbox.consumers)
        names.insert(c.queue);
    for (const auto& name : names)
        out.queues.push_back({name, std::nullopt, std::nullopt});
    if (names.empty())
        return out;
    try {
        auto nodes = amqp::AmqpNodes::parse(s.amqp.url);
        amqp::AmqpConnection::Options options;
        options.connectionName = "msgbus stats";
        auto connection = amqp::connectToNextNode(nodes, options);
        for (auto& q : out.queues)
            q.counts = amqp::queueCounts(*connection, q.name);
    } catch (const std::exception& e) {
        // The database figures stand on their own; the broker's absence is one more line.
        out.error = errorText(e);
    }
    addManagementStatus(s, out);
    return out;
}

} // namespace

int stats(const std::vector<std::string>& args) {
    CommandLine line(args, {"config"}, {"json"});
    auto loaded = loadSettings(line);
    const auto& s = loaded.settings;
    Database database(s.db);
    auto session = database.session();
    auto [pending, oldest] = OutboxStore(database.dialect(), s.outbox.table).depth(*session);
    auto [retry, failed] = FailedStore(database.dialect(), s.failedTable).counts(*session);
    double age = oldest ? static_cast<double>(nowMillis() - *oldest) / 1000.0 : 0.0;
    const BrokerQueues broker = brokerQueuesOf(s);
    const std::int64_t nowMs = nowMillis();
    const ParkedSequences parked(s, database.dialect());
    if (line.has("json")) {
        std::cout << "{\"outbox_pending\":" << pending << ",\"oldest_pending_age_seconds\":" << age
                  << ",\"retry\":" << retry << ",\"failed\":" << failed << ","
                  << parked.countsJson(*session)
                  << ",\"parked_sequences_list\":" << parked.json(*session, 100, nowMs)
                  << ",\"queues\":[";
        for (std::size_t i = 0; i < broker.queues.size(); ++i)
            std::cout << (i ? "," : "") << queueJson(broker.queues[i], nowMs);
        std::cout << "],\"broker_error\":"
                  << (broker.error.empty() ? "null" : json::quote(broker.error))
                  << ",\"management_error\":"
                  << (broker.managementError.empty() ? "null" : json::quote(broker.managementError))
                  << "}\n";
    } else {
        std::cout << "outbox pending:        " << pending << "\n"
                  << "oldest pending age:    " << age << " s\n"
                  << "retry rows:            " << retry << "\n"
                  << "failed rows:           " << failed << "\n";
        parked.printCounts(std::cout, *session);
        for (const auto& q : broker.queues)
            std::cout << "queue " << q.name << ": " << queueLine(q, nowMs) << "\n";
        if (!broker.error.empty())
            std::cout << "broker:                " << broker.error << "\n";
        if (!broker.managementError.empty())
            std::cout << "management API:        " << broker.managementError << "\n";
        else if (s.amqp.managementUrl.empty())
            std::cout << "(unacked counts and the age of the oldest ready message need "
                         "amqp.management.url)\n";
        parked.print(std::cout, *session, 100, nowMs);
    }
    return 0;
}

} // namespace msgbus::core::cli
