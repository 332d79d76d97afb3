#include "support/OrdersBus.h"

#include "core/amqp/AmqpConnection.h"
#include "core/amqp/AmqpUrl.h"
#include "core/config/Settings.h"
#include "core/db/Transaction.h"
#include "core/plugins/PluginLoader.h"
#include "support/TestEnv.h"

#include <msgbus/OutboxWriter.h>

#include <Poco/Data/Session.h>

#include <amqp.h>

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>
#include <vector>

namespace msgbus::test {

using namespace Poco::Data::Keywords;

namespace {

const char* const kOutbox = "messenger_outbox";
const char* const kDedup = "message_broker_deduplication";
const char* const kFailed = "messenger_messages";

std::string databaseName(const std::string& connection) {
    auto pos = connection.find("db=");
    if (pos == std::string::npos)
        return {};
    auto end = connection.find(';', pos);
    return connection.substr(pos + 3, end == std::string::npos ? std::string::npos : end - pos - 3);
}

std::string hex(const std::string& uuid) {
    std::string out;
    for (char c : uuid)
        if (c != '-')
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

} // namespace

OrdersBus::OrdersBus(const std::string& connector, const std::map<std::string, std::string>& extra)
    : _connector(connector) {
    // Every setting the test needs, before anything is created that would need cleaning up.
    amqpUrl();
    pluginDir();
    buildDir();
    if (connector == "MySQL")
        mysqlConnection();
    _dir = tempDir("e2e");
    _exchange = uniqueName("e2e_orders");
    _placedQueue = uniqueName("e2e_placed");
    _confirmedQueue = uniqueName("e2e_confirmed");
    if (connector == "MySQL") {
        _connection = createMysqlDatabase();
        _database = databaseName(_connection);
    } else {
        _connection = _dir + "/orders.db";
    }
    _properties = baseProperties(
        connector, _connection, _exchange,
        {
            // One private plugin copy directory per host process (two hosts run at once in
            // some tests), inside the test's directory so that killed hosts leave nothing behind.
            {"plugins.runtime_dir", _dir + "/runtime-${system.pid}"},
            {"plugin.orders.library", "liborders-handlers.so"},
            // The producer writes to the default tables; every test has its own database.
            {"outbox.table", kOutbox},
            {"dedup.table", kDedup},
            {"failed.table", kFailed},
            {"outbox.batch_size", "500"},
            {"outbox.poll_interval_ms", "20"},
            {"amqp.heartbeat", "10"},
            {"amqp.exchange." + _exchange + ".type", "topic"},
            {"amqp.queue." + _placedQueue + ".bindings", _exchange + ":order.placed"},
            {"amqp.queue." + _confirmedQueue + ".bindings", _exchange + ":order.confirmed"},
            {"inbox.consumers", "placed, confirmations"},
            {"inbox.consumer.placed.queue", _placedQueue},
            {"inbox.consumer.placed.prefetch", "500"},
            {"inbox.consumer.confirmations.queue", _confirmedQueue},
            {"inbox.consumer.confirmations.prefetch", "500"},
            // Nothing may fail in these tests; a retry row stays visible for the assertions.
            {"retry.delay_ms", "600000"},
        });
    for (const auto& [key, value] : extra)
        _properties[key] = value;
    _configPath = _dir + "/msgbus.properties";
    writeConfig();
    core::DatabaseSettings db;
    db.connector = connector;
    db.connection = _connection;
    db.poolMax = 4;
    core::Database::registerConnectors();
    _db = std::make_unique<core::Database>(db);
}

OrdersBus::~OrdersBus() {
    deleteQueueAndExchange(_placedQueue, "", _properties["amqp.url"]);
    deleteQueueAndExchange(_confirmedQueue, _exchange, _properties["amqp.url"]);
    _db.reset();
    const char* keep = std::getenv("MSGBUS_E2E_KEEP");
    if (std::uncaught_exceptions() > 0 || (keep && *keep && std::string(keep) != "0")) {
        std::cerr << "\ne2e: kept " << _dir
                  << (_database.empty() ? "" : " and MariaDB database " + _database) << "\n";
        return;
    }
    try {
        if (!_database.empty()) {
            Poco::Data::Session session("MySQL", mysqlConnection());
            session << "DROP DATABASE IF EXISTS " + _database, now;
        }
    } catch (const std::exception& e) {
        std::cerr << "e2e: could not drop database " << _database << ": " << e.what() << "\n";
    }
    std::error_code ignored;
    std::filesystem::remove_all(_dir, ignored);
}

void OrdersBus::writeConfig() {
    writeProperties(_configPath, _properties);
}

void OrdersBus::setup() {
    std::string output;
    int rc = runCommand(msgbusBinary() + " setup --config " + _configPath, &output);
    CPPUNIT_ASSERT_EQUAL_MESSAGE("msgbus setup: " + output, 0, rc);
    produce(0); // the producer creates the sample's tables
}

std::unique_ptr<HostProcess> OrdersBus::spawnHost(const std::string& name) {
    return std::make_unique<HostProcess>(HostProcess::msgbusRun(_configPath),
                                         _dir + "/" + name + ".log");
}

std::unique_ptr<HostProcess> OrdersBus::startHost(const std::string& name) {
    auto host = spawnHost(name);
    const bool started =
        waitUntil([&] { return host->logContains("started:") || !host->running(); },
                  std::chrono::seconds(20));
    CPPUNIT_ASSERT_MESSAGE(name + " did not start\n" + host->logTail(),
                           started && host->running() && host->logContains("started:"));
    return host;
}

std::unique_ptr<HostProcess> OrdersBus::startProducer(int count, const std::string& name) {
    return std::make_unique<HostProcess>(
        std::vector<std::string>{buildDir() + "/samples/orders/orders-producer", _connector,
                                 _connection, std::to_string(count)},
        _dir + "/" + name + ".log");
}

void OrdersBus::produce(int count) {
    auto producer = startProducer(count);
    const auto status = producer->waitExit(std::chrono::minutes(3));
    CPPUNIT_ASSERT_MESSAGE("orders-producer " + std::to_string(count) + " did not finish\n" +
                               producer->logTail(),
                           status.has_value());
    CPPUNIT_ASSERT_MESSAGE("orders-producer: " + status->describe() + "\n" + producer->logTail(),
                           status->success());
}

void OrdersBus::writeOrders(int first, int count, int perTransaction) {
    auto session = _db->session();
    for (int done = 0; done < count;) {
        core::Transaction tx(*session, _db->dialect());
        std::vector<Message> events;
        std::vector<std::string> orderIds;
        std::vector<double> totals;
        for (int i = 0; i < perTransaction && done < count; ++i, ++done) {
            const int n = first + done;
            std::string orderId = "order-" + std::to_string(n);
            double total = 10.0 + n % 90;
            Message placed("order.placed", R"({"orderId":")" + orderId + R"(","total":)" +
                                               std::to_string(total) + "}");
            placed.setHeader("correlation-id", orderId);
            placed.setPartitionKey(orderId);
            events.push_back(std::move(placed));
            orderIds.push_back(orderId);
            totals.push_back(total);
        }
        auto ids = OutboxWriter(*session).write(events);
        std::vector<std::string> eventIds;
        for (const auto& id : ids)
            eventIds.push_back(id.toString());
        *session << "INSERT INTO orders (order_id, total, event_id) VALUES (?, ?, ?)",
            use(orderIds), use(totals), use(eventIds), now;
        tx.commit();
    }
}

std::future<void> OrdersBus::writeOrdersInBackground(int first, int count, int perTransaction) {
    return std::async(std::launch::async, [this, first, count, perTransaction] {
        writeOrders(first, count, perTransaction);
    });
}

void OrdersBus::publishOrder(const std::string& orderId, double total) {
    auto session = _db->session();
    core::Transaction tx(*session, _db->dialect());
    Message placed("order.placed",
                   R"({"orderId":")" + orderId + R"(","total":)" + std::to_string(total) + "}");
    placed.setHeader("correlation-id", orderId);
    placed.setPartitionKey(orderId);
    OutboxWriter(*session).write(placed);
    tx.commit();
}

std::vector<core::amqp::OutgoingMessage> OrdersBus::ordersForTheBroker(int first, int count) {
    auto config = configFrom(_properties);
    const auto settings = core::Settings::load(*config);
    auto plugins = core::PluginLoader(core::pluginManifestOf(settings), config).load(1);
    std::vector<core::amqp::OutgoingMessage> out;
    std::vector<std::string> orderIds, eventIds;
    std::vector<double> totals;
    for (int n = first; n < first + count; ++n) {
        const std::string orderId = "order-" + std::to_string(n);
        const double total = 10.0 + n % 90;
        Message placed("order.placed",
                       R"({"orderId":")" + orderId + R"(","total":)" + std::to_string(total) + "}");
        placed.setId(Id::generate());
        placed.setHeader("correlation-id", orderId);
        placed.setPartitionKey(orderId);
        out.push_back({out.size(), _exchange, "order.placed", plugins->serializer->encode(placed)});
        orderIds.push_back(orderId);
        eventIds.push_back(placed.id().toString());
        totals.push_back(total);
    }
    auto session = _db->session();
    *session << "INSERT INTO orders (order_id, total, event_id) VALUES (?, ?, ?)", use(orderIds),
        use(totals), use(eventIds), now;
    return out;
}

void OrdersBus::publishToBroker(const std::vector<core::amqp::OutgoingMessage>& messages) {
    core::amqp::AmqpPublisher publisher(core::amqp::AmqpNodes::parse(_properties["amqp.url"]));
    for (const auto& outcome : publisher.publishBatch(messages, std::chrono::seconds(30)))
        CPPUNIT_ASSERT(outcome.result == core::amqp::PublishResult::Confirmed);
}

long long OrdersBus::scalar(const std::string& sql) {
    auto session = _db->session();
    Poco::Int64 n = -1; // Poco extracts Int64 (long), not long long
    *session << sql, into(n), now;
    return static_cast<long long>(n);
}

std::string OrdersBus::Counts::toString() const {
    std::ostringstream out;
    out << "outbox=" << outbox << " projected=" << projected << " confirmations=" << confirmations
        << " dedup(placed)=" << dedupPlaced << " dedup(confirmations)=" << dedupConfirmations
        << " retry=" << retryRows << " failed=" << failedRows;
    return out.str();
}

OrdersBus::Counts OrdersBus::counts() {
    Counts c;
    c.outbox = scalar(std::string("SELECT COUNT(*) FROM ") + kOutbox);
    c.projected = scalar("SELECT COUNT(*) FROM order_projection");
    c.confirmations = scalar("SELECT COUNT(*) FROM order_confirmations");
    c.dedupPlaced =
        scalar(std::string("SELECT COUNT(*) FROM ") + kDedup + " WHERE consumer = 'placed'");
    c.dedupConfirmations =
        scalar(std::string("SELECT COUNT(*) FROM ") + kDedup + " WHERE consumer = 'confirmations'");
    c.retryRows =
        scalar(std::string("SELECT COUNT(*) FROM ") + kFailed + " WHERE queue_name = 'retry'");
    c.failedRows =
        scalar(std::string("SELECT COUNT(*) FROM ") + kFailed + " WHERE queue_name <> 'retry'");
    return c;
}

bool OrdersBus::complete(long long orders) {
    return scalar(std::string("SELECT COUNT(*) FROM ") + kOutbox) == 0 &&
           scalar("SELECT COUNT(*) FROM order_projection") == orders &&
           scalar("SELECT COUNT(*) FROM order_confirmations") == orders;
}

bool OrdersBus::waitComplete(long long orders, std::chrono::milliseconds timeout) {
    return waitUntil([&] { return complete(orders); }, timeout, std::chrono::milliseconds(200));
}

void OrdersBus::assertExactlyOnce(long long orders, const std::string& context) {
    const Counts c = counts();
    const std::string where = context + ": " + c.toString();
    CPPUNIT_ASSERT_EQUAL_MESSAGE(where, 0LL, c.outbox);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(where + " (retry rows: a handler failed, e.g. a duplicate effect)",
                                 0LL, c.retryRows);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(where, 0LL, c.failedRows);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(where, orders, c.projected);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(where, orders, c.confirmations);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(where, orders, c.dedupPlaced);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(where, orders, c.dedupConfirmations);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(where + " (orders rows)", orders,
                                 scalar("SELECT COUNT(*) FROM orders"));
    // Each order was projected from its own event, not from a stray one.
    CPPUNIT_ASSERT_EQUAL_MESSAGE(
        where + " (projections whose message_id is the order's event id)", orders,
        scalar("SELECT COUNT(*) FROM orders o JOIN order_projection p ON p.order_id = o.order_id "
               "WHERE p.message_id = o.event_id"));
    // The "placed" consumer recorded exactly the produced event ids.
    std::vector<std::string> events, dedupIds;
    {
        auto session = _db->session();
        *session << "SELECT event_id FROM orders", into(events), now;
        *session << std::string("SELECT LOWER(HEX(message_id)) FROM ") + kDedup +
                        " WHERE consumer = 'placed'",
            into(dedupIds), now;
    }
    std::set<std::string> expected;
    for (const auto& e : events)
        expected.insert(hex(e));
    std::set<std::string> seen(dedupIds.begin(), dedupIds.end());
    CPPUNIT_ASSERT_MESSAGE(where + " (dedup ids of 'placed' differ from the produced event ids)",
                           expected == seen);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(where + " (messages left in " + _placedQueue + ")", 0LL,
                                 queueDepth(_placedQueue));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(where + " (messages left in " + _confirmedQueue + ")", 0LL,
                                 queueDepth(_confirmedQueue));
}

bool OrdersBus::waitQueuesDrained(std::chrono::milliseconds timeout) {
    int emptyPolls = 0;
    return waitUntil(
        [&] {
            if (queueDepth(_placedQueue) == 0 && queueDepth(_confirmedQueue) == 0)
                ++emptyPolls;
            else
                emptyPolls = 0;
            return emptyPolls >= 2;
        },
        timeout, std::chrono::milliseconds(250));
}

long long OrdersBus::queueDepth(const std::string& queue) {
    // Through the broker the host uses (any node of a cluster that answers).
    auto nodes = core::amqp::AmqpNodes::parse(_properties["amqp.url"]);
    auto connection = core::amqp::connectToNextNode(nodes, {});
    auto* ok = amqp_queue_declare(connection->state(), connection->channel(),
                                  amqp_cstring_bytes(queue.c_str()), 1, 0, 0, 0, amqp_empty_table);
    connection->checkRpcReply("queue.declare passive '" + queue + "'");
    return ok ? static_cast<long long>(ok->message_count) : -1;
}

long long OrdersBus::summaryValue(const HostProcess& host, const std::string& key) {
    const std::string log = host.log();
    auto line = log.rfind("stopped:");
    if (line == std::string::npos)
        return -1;
    auto end = log.find('\n', line);
    std::string summary =
        log.substr(line, end == std::string::npos ? std::string::npos : end - line);
    auto pos = summary.find(" " + key + "=");
    if (pos == std::string::npos)
        return -1;
    return std::stoll(summary.substr(pos + key.size() + 2));
}

} // namespace msgbus::test
