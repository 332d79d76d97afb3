// The batch versions of the bench handlers (libmsgbus-bench-batch-handlers.so), a drop-in
// replacement of libmsgbus-bench-handlers.so: the same names, the same effects, one statement
// per call instead of one per message.
//
// CounterBatchHandler (bench.count): the call's increments summed per counter row, then one
// `UPDATE <counter_table> SET n = n + CASE id WHEN r THEN c ... END WHERE id IN (r, ...)`.
// LatencyBatchHandler (bench.e2e): one multi-row INSERT of (created_at, handled_at), in
// microseconds.
#include "BenchPayload.h"

#include <msgbus/Plugin.h>
#include <msgbus/internal/SqlIdentifier.h>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <chrono>
#include <map>

namespace bench {

using namespace Poco::Data::Keywords;

class CounterBatchHandler : public msgbus::BatchHandler {
public:
    void configure(const Poco::Util::AbstractConfiguration& config) override {
        _table = config.getString("counter_table", "bench_counter");
        msgbus::validateSqlIdentifier(_table, "plugin.<id>.config.counter_table");
    }
    std::vector<std::string> messageNames() const override { return {"bench.count"}; }

    void handleBatch(std::span<const msgbus::Message> messages,
                     msgbus::BatchHandlerContext& context) override {
        std::map<std::int64_t, std::int64_t> counts;
        for (const auto& message : messages)
            ++counts[keyOf(message.payload()) % kCounterRows];
        // Integers we computed: literals, no placeholders to bind.
        std::string cases, ids;
        for (const auto& [row, count] : counts) {
            cases += " WHEN " + std::to_string(row) + " THEN " + std::to_string(count);
            ids += (ids.empty() ? "" : ",") + std::to_string(row);
        }
        context.session() << "UPDATE " + _table + " SET n = n + CASE id" + cases +
                                 " END WHERE id IN (" + ids + ")",
            now;
    }

private:
    std::string _table = "bench_counter";
};

class LatencyBatchHandler : public msgbus::BatchHandler {
public:
    void configure(const Poco::Util::AbstractConfiguration& config) override {
        _table = config.getString("latency_table", "bench_latency");
        msgbus::validateSqlIdentifier(_table, "plugin.<id>.config.latency_table");
    }
    std::vector<std::string> messageNames() const override { return {"bench.e2e"}; }

    void handleBatch(std::span<const msgbus::Message> messages,
                     msgbus::BatchHandlerContext& context) override {
        const std::int64_t handled = nowMicros();
        std::string values;
        for (const auto& message : messages)
            values += (values.empty() ? "('" : ",('") + message.id().toString() + "'," +
                      std::to_string(createdMicros(message)) + "," + std::to_string(handled) + ")";
        context.session() << "INSERT INTO " + _table +
                                 " (message_id, created_at, handled_at) VALUES " + values,
            now;
    }

private:
    std::string _table = "bench_latency";
};

} // namespace bench

MSGBUS_PLUGIN("bench-batch-handlers", "1.0.0")

MSGBUS_HANDLERS(bench::CounterBatchHandler, bench::LatencyBatchHandler)
