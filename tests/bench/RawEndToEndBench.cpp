// Figure 5's floor: the same path as the end-to-end latency, with no msgbus in it. A producer
// commits rows into a plain outbox table, a raw relay claims them (SELECT … FOR UPDATE SKIP
// LOCKED), publishes them with rabbitmq-c and waits for the confirms, deletes them and commits;
// a raw consumer takes what has arrived, inserts it with the handling time and commits, then
// acks. Same machine, same MariaDB and broker, same durability (persistent messages, confirms,
// commits before acks); the producer wakes the relay in process, as the doorbell does.
#include "BenchEnv.h"
#include "Figures.h"
#include "plugin/BenchPayload.h"

#include "core/amqp/AmqpConnection.h"
#include "core/amqp/AmqpConsumer.h"
#include "core/amqp/AmqpNodes.h"
#include "core/amqp/AmqpUrl.h"
#include "core/db/Database.h"
#include "core/db/Transaction.h"
#include "core/util/Clock.h"
#include "core/util/ErrorText.h"

#include <msgbus/Id.h>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>

#include <amqp.h>
#include <amqp_framing.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <sys/time.h>
#include <thread>

namespace msgbus::bench {
namespace {

using namespace Poco::Data::Keywords;
using core::amqp::amqpBytes;

constexpr int kPerTransaction = 10; ///< as the msgbus figure's producer
constexpr int kBatch = 100;         ///< most rows per claim and messages per consumer commit
constexpr std::int64_t kWarmUpMillis = 1000;

/// Rows committed and not yet claimed: the producer rings, the relay waits.
struct Bell {
    std::mutex mutex;
    std::condition_variable rung;
    bool pending = false;
    void ring() {
        {
            std::lock_guard lock(mutex);
            pending = true;
        }
        rung.notify_one();
    }
    void wait(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex);
        rung.wait_for(lock, timeout, [this] { return pending; });
        pending = false;
    }
};

Poco::Data::Session open(const std::string& connection) {
    Poco::Data::Session session("MySQL", connection);
    session << "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", now;
    return session;
}

/// Publishes and waits for the confirms of every message on one rabbitmq-c channel.
class ConfirmedPublisher {
public:
    explicit ConfirmedPublisher(const std::string& exchange) : _exchange(exchange) {
        core::amqp::AmqpConnection::Options options;
        options.connectionName = "msgbus bench raw relay";
        auto nodes = core::amqp::AmqpNodes::parse(singleBroker().urls);
        _connection = core::amqp::connectToNextNode(nodes, options);
        amqp_confirm_select(_connection->state(), _connection->channel());
        _connection->checkRpcReply("confirm.select");
    }

    void publish(const std::string& id, std::int64_t created, const std::string& body) {
        amqp_table_entry_t entries[2];
        entries[0].key = amqp_cstring_bytes("x-message-id");
        entries[0].value.kind = AMQP_FIELD_KIND_UTF8;
        entries[0].value.value.bytes = amqpBytes(id);
        entries[1].key = amqp_cstring_bytes("x-created-at");
        entries[1].value.kind = AMQP_FIELD_KIND_I64;
        entries[1].value.value.i64 = created;
        amqp_basic_properties_t props{};
        props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
                       AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_HEADERS_FLAG;
        props.content_type = amqp_cstring_bytes("application/json");
        props.delivery_mode = 2;
        props.message_id = amqpBytes(id);
        props.headers.num_entries = 2;
        props.headers.entries = entries;
        const int status = amqp_basic_publish(
            _connection->state(), _connection->channel(), amqp_cstring_bytes(_exchange.c_str()),
            amqp_cstring_bytes("bench.raw"), 1, 0, &props, amqpBytes(body));
        _connection->checkStatus(status, "basic.publish");
        ++_published;
    }

    /// Waits until the broker has confirmed everything published.
    void awaitConfirms() {
        while (_confirmed < _published) {
            amqp_frame_t frame;
            timeval timeout{10, 0};
            const int status =
                amqp_simple_wait_frame_noblock(_connection->state(), &frame, &timeout);
            if (status == AMQP_STATUS_TIMEOUT)
                throw std::runtime_error("raw relay: no confirm within 10 s");
            _connection->checkStatus(status, "waiting for confirms");
            if (frame.frame_type != AMQP_FRAME_METHOD)
                continue;
            if (frame.payload.method.id == AMQP_BASIC_ACK_METHOD) {
                auto* ack = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
                _confirmed = ack->multiple ? ack->delivery_tag : _confirmed + 1;
            } else if (frame.payload.method.id == AMQP_BASIC_NACK_METHOD) {
                throw std::runtime_error("raw relay: the broker nacked a message");
            } else {
                _connection->handleAsyncMethod(frame);
            }
        }
        amqp_maybe_release_buffers(_connection->state());
    }

private:
    std::string _exchange;
    std::unique_ptr<core::amqp::AmqpConnection> _connection;
    std::uint64_t _published = 0;
    std::uint64_t _confirmed = 0;
};

/// Claims, publishes, deletes and commits until stop and nothing is left; returns the rows.
std::int64_t relayRows(const std::string& connection, const std::string& exchange, Bell& bell,
                       const std::atomic<bool>& stop) {
    auto session = open(connection);
    ConfirmedPublisher publisher(exchange);
    std::int64_t relayed = 0;
    bool full = false;
    for (;;) {
        if (!full)
            bell.wait(std::chrono::milliseconds(100));
        std::vector<Poco::Int64> seqs, created;
        std::vector<std::string> ids, bodies;
        core::Transaction tx(session, core::Dialect::MySQL);
        session << "SELECT seq, message_id, created_at, body FROM raw_outbox ORDER BY seq "
                   "LIMIT " +
                       std::to_string(kBatch) + " FOR UPDATE SKIP LOCKED",
            into(seqs), into(ids), into(created), into(bodies), now;
        full = seqs.size() == static_cast<std::size_t>(kBatch);
        if (seqs.empty()) {
            tx.commit();
            if (stop)
                return relayed;
            continue;
        }
        for (std::size_t i = 0; i < seqs.size(); ++i)
            publisher.publish(ids[i], created[i], bodies[i]);
        publisher.awaitConfirms();
        Poco::Int64 first = seqs.front(), last = seqs.back();
        session << "DELETE FROM raw_outbox WHERE seq BETWEEN ? AND ?", use(first), use(last), now;
        tx.commit();
        relayed += static_cast<std::int64_t>(seqs.size());
    }
}

/// Consumes, inserts what arrived with its handling time, commits, acks; until expected came
/// or 60 s passed without it. Returns the messages handled.
std::int64_t consumeRows(const std::string& connection, const std::string& queue,
                         const std::atomic<std::int64_t>& expected) {
    auto session = open(connection);
    core::amqp::AmqpConsumer::Options options;
    options.queue = queue;
    options.prefetch = 200;
    options.connectionName = "msgbus bench raw consumer";
    core::amqp::AmqpConsumer consumer(core::amqp::AmqpUrl::parse(amqpUrl()), options);
    consumer.connect();
    std::int64_t handled = 0;
    Stopwatch idle;
    while ((expected < 0 || handled < expected) && idle.seconds() < 60) {
        auto first = consumer.next(std::chrono::milliseconds(100));
        if (!first)
            continue;
        std::vector<core::amqp::Delivery> batch;
        batch.push_back(std::move(*first));
        while (batch.size() < static_cast<std::size_t>(kBatch)) {
            auto more = consumer.next(std::chrono::milliseconds(0));
            if (!more)
                break;
            batch.push_back(std::move(*more));
        }
        std::vector<std::string> ids(batch.size());
        std::vector<Poco::Int64> created(batch.size());
        Poco::Int64 handledAt = ::bench::nowMicros();
        Poco::Data::Statement insert(session);
        insert << "INSERT INTO raw_inbox (message_id, created_at, handled_at) VALUES ";
        for (std::size_t i = 0; i < batch.size(); ++i) {
            ids[i] = batch[i].wire.properties.messageId.value_or("");
            const auto* at = batch[i].wire.header("x-created-at");
            created[i] = at && at->isInteger() ? at->integer : 0;
            insert << (i ? ", (?, ?, ?)" : "(?, ?, ?)");
            insert, use(ids[i]), use(created[i]), use(handledAt);
        }
        core::Transaction tx(session, core::Dialect::MySQL);
        insert.execute();
        tx.commit();
        consumer.ack(batch.back().deliveryTag, true, batch.back().connectionEpoch);
        handled += static_cast<std::int64_t>(batch.size());
        idle = Stopwatch();
    }
    consumer.close();
    return handled;
}

} // namespace

Latencies rawEndToEndLatency(int rate, int seconds) {
    ScratchQueue queue("bench.#");
    ScratchMysqlDatabase mysql;
    core::Database::registerConnectors();
    {
        auto session = open(mysql.connection());
        session << "CREATE TABLE raw_outbox (seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
                   "message_id VARCHAR(64) NOT NULL, created_at BIGINT NOT NULL, body BLOB)",
            now;
        session << "CREATE TABLE raw_inbox (message_id VARCHAR(64) NOT NULL PRIMARY KEY, "
                   "created_at BIGINT NOT NULL, handled_at BIGINT NOT NULL)",
            now;
    }
    Bell bell;
    std::atomic<bool> produced{false};
    std::atomic<std::int64_t> expected{-1};
    std::string relayError, consumerError;
    std::int64_t handled = 0;
    std::thread relay([&] {
        try {
            relayRows(mysql.connection(), queue.exchange(), bell, produced);
        } catch (const std::exception& e) {
            relayError = core::errorText(e);
        }
    });
    std::thread consumer([&] {
        try {
            handled = consumeRows(mysql.connection(), queue.queue(), expected);
        } catch (const std::exception& e) {
            consumerError = core::errorText(e);
        }
    });

    std::int64_t written = 0;
    const std::int64_t warmUpEnd = core::nowMillis() + kWarmUpMillis;
    {
        auto session = open(mysql.connection());
        const auto period = std::chrono::microseconds(1000000LL * kPerTransaction / rate);
        auto next = std::chrono::steady_clock::now();
        const auto end = next + std::chrono::seconds(seconds);
        std::vector<std::string> ids(kPerTransaction), bodies(kPerTransaction);
        std::vector<Poco::Int64> created(kPerTransaction);
        while (std::chrono::steady_clock::now() < end) {
            Poco::Data::Statement insert(session);
            insert << "INSERT INTO raw_outbox (message_id, created_at, body) VALUES ";
            for (int i = 0; i < kPerTransaction; ++i) {
                ids[i] = Id::generate().toString();
                bodies[i] = benchPayload(written + i, kPayloadBytes);
                created[i] = ::bench::nowMicros();
                insert << (i ? ", (?, ?, ?)" : "(?, ?, ?)");
                insert, use(ids[i]), use(created[i]), use(bodies[i]);
            }
            core::Transaction tx(session, core::Dialect::MySQL);
            insert.execute();
            tx.commit();
            bell.ring();
            written += kPerTransaction;
            next += period;
            std::this_thread::sleep_until(next);
        }
    }
    expected = written;
    produced = true;
    bell.ring();
    relay.join();
    consumer.join();
    if (!relayError.empty() || !consumerError.empty())
        throw std::runtime_error("raw end-to-end: " + relayError + " " + consumerError);

    std::vector<Poco::Int64> created, handledAt;
    {
        auto session = open(mysql.connection());
        Poco::Int64 from = warmUpEnd * 1000; // stamped in microseconds
        session << "SELECT created_at, handled_at FROM raw_inbox WHERE created_at >= ?", use(from),
            into(created), into(handledAt), now;
    }
    std::vector<double> latencies;
    for (std::size_t i = 0; i < created.size(); ++i)
        latencies.push_back(static_cast<double>(handledAt[i] - created[i]) / 1000.0);
    const std::string setup = "raw loops, no msgbus, MariaDB, " + std::to_string(rate) +
                              " msg/s offered, woken in process";
    const Latencies result{percentile(latencies, 0.50), percentile(latencies, 0.99)};
    report("raw end-to-end latency commit->handler commit p50 (" + setup + ")", result.p50, "ms",
           1);
    report("raw end-to-end latency commit->handler commit p99 (" + setup + ")", result.p99, "ms",
           1);
    report("raw end-to-end latency commit->handler commit max (" + setup + ")",
           percentile(latencies, 1.0), "ms", 1);
    note("raw end-to-end: producer committed " + std::to_string(written) + " rows (" +
         std::to_string(kPerTransaction) + " per transaction); relay: claim of up to " +
         std::to_string(kBatch) +
         " rows FOR UPDATE SKIP LOCKED, rabbitmq-c publish (persistent) and confirm, DELETE, "
         "COMMIT; consumer: what has arrived (up to " +
         std::to_string(kBatch) + "), one multi-row INSERT, COMMIT, one multiple ack; " +
         std::to_string(handled) + " handled, " + std::to_string(latencies.size()) +
         " samples after a " + std::to_string(kWarmUpMillis) + " ms warm-up");
    return result;
}

} // namespace msgbus::bench
