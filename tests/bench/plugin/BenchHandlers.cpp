// The handlers of the benchmark's inbox and end-to-end figures.
//
// CounterHandler (bench.count): one UPDATE per message, the smallest realistic unit of handler
// work: `UPDATE <counter_table> SET n = n + 1 WHERE id = k % 100`, k read from the payload
// {"k":<integer>,...}. (Its batch version is BenchBatchHandlers.cpp.) With
// plugin.<id>.config.own_table set, each message inserts a row of its own there instead
// (`INSERT INTO <own_table> (k) VALUES (k)`): the same one statement, with no lock shared with
// another message, so batches in flight never wait for each other. With
// plugin.<id>.config.fail_first_keys = K and fail_every = M, the first message of each of K keys
// (k < K) whose key k % K is a multiple of M fails its first attempt (the "ordered" figure: 1 %
// of the keys with M = 100).
// LatencyHandler (bench.e2e): records when the message was created (the producer's stamp, in
// microseconds) and the time the handler ran, in the inbox transaction, so the bench can compute
// producer commit → handler commit from the table after the run (and, by the message id, the split
// at the broker's delivery).
#include "BenchPayload.h"

#include <msgbus/Plugin.h>
#include <msgbus/internal/SqlIdentifier.h>

#include <Poco/Data/Session.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <chrono>
#include <stdexcept>
#include <string>

namespace bench {

using namespace Poco::Data::Keywords;

class CounterHandler : public msgbus::Handler {
public:
    void configure(const Poco::Util::AbstractConfiguration& config) override {
        std::string table = config.getString("counter_table", "bench_counter");
        msgbus::validateSqlIdentifier(table, "plugin.<id>.config.counter_table");
        _sql = "UPDATE " + table + " SET n = n + 1 WHERE id = ?";
        _ownRows = config.has("own_table");
        if (_ownRows) {
            std::string own = config.getString("own_table");
            msgbus::validateSqlIdentifier(own, "plugin.<id>.config.own_table");
            _sql = "INSERT INTO " + own + " (k) VALUES (?)";
        }
        _failKeys = config.getInt64("fail_first_keys", 0);
        _failEvery = config.getInt64("fail_every", 0);
    }
    std::vector<std::string> messageNames() const override { return {"bench.count"}; }

    void handle(const msgbus::Message& message, msgbus::HandlerContext& context) override {
        const Poco::Int64 k = keyOf(message.payload());
        if (_failEvery > 0 && context.attempt() == 1 && k < _failKeys && k % _failEvery == 0)
            throw std::runtime_error("bench: the first attempt of key " + std::to_string(k) +
                                     " fails on purpose");
        Poco::Int64 id = _ownRows ? k : k % kCounterRows;
        context.session() << _sql, use(id), now;
    }

private:
    std::string _sql = "UPDATE bench_counter SET n = n + 1 WHERE id = ?";
    bool _ownRows = false;
    Poco::Int64 _failKeys = 0;
    Poco::Int64 _failEvery = 0;
};

class LatencyHandler : public msgbus::Handler {
public:
    void configure(const Poco::Util::AbstractConfiguration& config) override {
        std::string table = config.getString("latency_table", "bench_latency");
        msgbus::validateSqlIdentifier(table, "plugin.<id>.config.latency_table");
        _sql = "INSERT INTO " + table + " (message_id, created_at, handled_at) VALUES (?, ?, ?)";
    }
    std::vector<std::string> messageNames() const override { return {"bench.e2e"}; }

    void handle(const msgbus::Message& message, msgbus::HandlerContext& context) override {
        Poco::Int64 created = createdMicros(message);
        Poco::Int64 handled = nowMicros();
        std::string id = message.id().toString();
        context.session() << _sql, use(id), use(created), use(handled), now;
    }

private:
    std::string _sql =
        "INSERT INTO bench_latency (message_id, created_at, handled_at) VALUES (?, ?, ?)";
};

} // namespace bench

MSGBUS_PLUGIN("bench-handlers", "1.0.0")

MSGBUS_HANDLERS(bench::CounterHandler, bench::LatencyHandler)
