#pragma once

#include "core/amqp/AmqpPublisher.h"
#include "core/db/Database.h"
#include "support/HostProcess.h"

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <string>

namespace msgbus::test {

/// The world of one end-to-end test with the orders sample: its own MariaDB database or SQLite
/// file, its own topic exchange and two queues (order.placed → consumer "placed",
/// order.confirmed → consumer "confirmations"), a properties file for `msgbus run` with the
/// orders handler plugin, and a working directory for the config and the process logs.
///
/// The destructor deletes the queues and the exchange. It drops the database and removes the
/// working directory only when the test passed (no exception in flight): after a failure they
/// are left for inspection and their location is printed (MSGBUS_E2E_KEEP=1 keeps them always).
class OrdersBus {
public:
    /// connector: "MySQL" (MariaDB) or "SQLite". extra overrides/extends the properties.
    explicit OrdersBus(const std::string& connector,
                       const std::map<std::string, std::string>& extra = {});
    ~OrdersBus();
    OrdersBus(const OrdersBus&) = delete;
    OrdersBus& operator=(const OrdersBus&) = delete;

    const std::string& connector() const { return _connector; }
    const std::string& connection() const { return _connection; }
    const std::string& exchange() const { return _exchange; }
    const std::string& placedQueue() const { return _placedQueue; }
    const std::string& confirmedQueue() const { return _confirmedQueue; }
    const std::string& dir() const { return _dir; }
    const std::string& configPath() const { return _configPath; }
    std::map<std::string, std::string>& properties() { return _properties; }

    /// (Re)writes the properties file from properties().
    void writeConfig();
    /// `msgbus setup --config F`: tables and topology; asserts exit 0. Also creates the orders
    /// sample's tables (the producer would create them too, but the host may need them first).
    void setup();

    /// `msgbus run --config F` with its output in <dir>/<name>.log; waits (up to 20 s) for the
    /// "started:" line and asserts it came.
    std::unique_ptr<HostProcess> startHost(const std::string& name);
    /// `msgbus run` without waiting for anything.
    std::unique_ptr<HostProcess> spawnHost(const std::string& name);
    /// The orders producer writing orders order-1..order-<count> in the background.
    std::unique_ptr<HostProcess> startProducer(int count, const std::string& name = "producer");
    /// Runs the producer to completion; asserts exit 0.
    void produce(int count);
    /// Writes orders order-<first>..order-<first+count-1> exactly as the producer program does
    /// (an orders row and its order.placed event with correlation-id and partition key, in one
    /// transaction), but perTransaction orders per transaction: the sample producer commits
    /// each order alone, which costs an fsync each (~100-250/s on this machine's disk).
    void writeOrders(int first, int count, int perTransaction = 500);
    /// writeOrders on a thread of its own; the future's destructor waits for it, get() rethrows.
    std::future<void> writeOrdersInBackground(int first, int count, int perTransaction);
    /// Writes one order.placed event for orderId to the outbox (no orders row), like the
    /// producer does.
    void publishOrder(const std::string& orderId, double total = 12.5);

    /// Writes the orders rows of order-<first>..order-<first+count-1> now, without outbox rows,
    /// and returns their order.placed events encoded as the relay publishes them: for a test
    /// that puts them on the broker itself (while the database is away).
    std::vector<core::amqp::OutgoingMessage> ordersForTheBroker(int first, int count);
    /// Publishes messages with publisher confirms; asserts the broker confirmed each.
    void publishToBroker(const std::vector<core::amqp::OutgoingMessage>& messages);

    /// A single-number query.
    long long scalar(const std::string& sql);

    struct Counts {
        long long outbox = 0;
        long long projected = 0;
        long long confirmations = 0;
        long long dedupPlaced = 0;
        long long dedupConfirmations = 0;
        long long retryRows = 0;
        long long failedRows = 0;
        std::string toString() const;
    };
    Counts counts();

    /// Outbox empty and `orders` orders projected and confirmed.
    bool complete(long long orders);
    /// waitUntil(complete(orders)); false on timeout.
    bool waitComplete(long long orders, std::chrono::milliseconds timeout);

    /// The exactly-once accounting after a run with orders order-1..order-<orders>: outbox
    /// empty; each order projected once from its own event (order_projection.message_id ==
    /// orders.event_id) and confirmed once; one dedup row per message per consumer, and the
    /// "placed" dedup ids are exactly the produced event ids; no retry or failed rows; both
    /// queues empty. context goes into the assertion messages.
    void assertExactlyOnce(long long orders, const std::string& context);

    /// Waits until both queues have no ready message on two polls in a row (the consumers took
    /// every delivery, redeliveries included); false on timeout.
    bool waitQueuesDrained(std::chrono::milliseconds timeout);

    /// Messages ready in a queue (passive declare).
    long long queueDepth(const std::string& queue);

    /// The value of key=N in the host's last "stopped:" summary line, or -1.
    static long long summaryValue(const HostProcess& host, const std::string& key);

private:
    std::string _connector;
    std::string _connection;
    std::string _database; ///< MariaDB database name (MySQL only)
    std::string _exchange;
    std::string _placedQueue;
    std::string _confirmedQueue;
    std::string _dir;
    std::string _configPath;
    std::map<std::string, std::string> _properties;
    std::unique_ptr<core::Database> _db;
};

} // namespace msgbus::test
