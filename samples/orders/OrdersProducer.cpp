// The producing side of the orders sample: an ordinary application that writes an order row and
// its order.placed event in one transaction with msgbus::OutboxWriter. If the transaction rolls
// back, neither the order nor the event exists; if it commits, the host relays the event.
//
//   orders-producer <connector: SQLite|MySQL> <connection> <count> [--replay N]
//
// --replay N writes the events of the first N orders again with their original ids (as a relay
// that crashed between publish and delete would republish them), to show the inbox skipping
// them. Run it after the first events were relayed (the outbox keeps ids unique).
#include <msgbus/Id.h>
#include <msgbus/OutboxWriter.h>

#include <Poco/Data/MySQL/Connector.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include <iostream>
#include <string>
#include <vector>

using namespace Poco::Data::Keywords;

namespace {

void createTables(Poco::Data::Session& session) {
    session << "CREATE TABLE IF NOT EXISTS orders (order_id VARCHAR(64) PRIMARY KEY, "
               "total DOUBLE NOT NULL, event_id VARCHAR(36) NOT NULL)",
        now;
    session << "CREATE TABLE IF NOT EXISTS order_projection (order_id VARCHAR(64) PRIMARY KEY, "
               "total DOUBLE NOT NULL, message_id VARCHAR(36) NOT NULL)",
        now;
    session << "CREATE TABLE IF NOT EXISTS order_confirmations (order_id VARCHAR(64) PRIMARY KEY)",
        now;
}

void begin(Poco::Data::Session& session, bool sqlite) {
    if (sqlite)
        session << "BEGIN IMMEDIATE", now;
    else
        session.begin();
}

void commit(Poco::Data::Session& session, bool sqlite) {
    if (sqlite)
        session << "COMMIT", now;
    else
        session.commit();
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: orders-producer <SQLite|MySQL> <connection> <count> [--replay N]\n";
        return 2;
    }
    const std::string connector = argv[1];
    const bool sqlite = connector == "SQLite";
    const int count = std::stoi(argv[3]);
    int replay = 0;
    if (argc >= 6 && std::string(argv[4]) == "--replay")
        replay = std::stoi(argv[5]);

    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::MySQL::Connector::registerConnector();
    Poco::Data::Session session(sqlite ? "SQLite" : "MySQL", argv[2]);
    if (sqlite)
        session << "PRAGMA busy_timeout = 10000", now;
    createTables(session);

    for (int i = 1; i <= count; ++i) {
        std::string orderId = "order-" + std::to_string(i);
        double total = 10.0 + i % 90;
        msgbus::Message placed("order.placed", R"({"orderId":")" + orderId + R"(","total":)" +
                                                   std::to_string(total) + "}");
        placed.setHeader("correlation-id", orderId);
        placed.setPartitionKey(orderId);

        begin(session, sqlite);
        msgbus::OutboxWriter outbox(session);
        std::string eventId = outbox.write(placed).toString();
        session << "INSERT INTO orders (order_id, total, event_id) VALUES (?, ?, ?)", use(orderId),
            use(total), use(eventId), now;
        commit(session, sqlite);
    }

    std::vector<std::string> orderIds, eventIds;
    std::vector<double> totals;
    if (replay > 0)
        session << "SELECT order_id, total, event_id FROM orders ORDER BY event_id LIMIT ?",
            use(replay), into(orderIds), into(totals), into(eventIds), now;
    for (std::size_t i = 0; i < orderIds.size(); ++i) {
        msgbus::Message again("order.placed", R"({"orderId":")" + orderIds[i] + R"(","total":)" +
                                                  std::to_string(totals[i]) + "}");
        again.setId(msgbus::Id::parse(eventIds[i])); // the original id: a redelivery
        again.setHeader("correlation-id", orderIds[i]);
        begin(session, sqlite);
        msgbus::OutboxWriter(session).write(again);
        commit(session, sqlite);
    }
    std::cout << "produced " << count << " orders";
    if (!orderIds.empty())
        std::cout << ", re-sent " << orderIds.size() << " events with their original ids";
    std::cout << "\n";
    return 0;
}
