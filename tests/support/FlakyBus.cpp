#include "support/FlakyBus.h"

#include <msgbus/Id.h>
#include <msgbus/Message.h>

namespace msgbus::test {

using namespace Poco::Data::Keywords;

FlakyBus::FlakyBus(const std::string& prefix, const std::string& connector,
                   const std::map<std::string, std::string>& extra, bool orderedEffects)
    : ScratchBus(prefix) {
    auto properties = extra;
    properties.insert({{"plugin.flaky.library", "libmsgbus-test-flaky.so"},
                       {"inbox.consumers", "flaky"},
                       {"inbox.consumer.flaky.queue", queue},
                       {"inbox.consumer.flaky.plugins", "flaky"}});
    const bool mysql = connector == "MySQL";
    open(connector, properties, "#", [mysql, orderedEffects](Poco::Data::Session& session) {
        if (!orderedEffects)
            session << "CREATE TABLE flaky_effects (k VARCHAR(64) PRIMARY KEY, attempt INT)", now;
        else // n records the order the effects were committed in.
            session << (mysql ? "CREATE TABLE flaky_effects (n INT AUTO_INCREMENT PRIMARY KEY, "
                                "k VARCHAR(64) UNIQUE, attempt INT)"
                              : "CREATE TABLE flaky_effects (n INTEGER PRIMARY KEY "
                                "AUTOINCREMENT, k VARCHAR(64) UNIQUE, attempt INT)"),
                now;
        session << "CREATE TABLE lock_rows (id INT PRIMARY KEY, n INT NOT NULL DEFAULT 0)", now;
        session << "INSERT INTO lock_rows (id) VALUES (1), (2)", now;
    });
}

void FlakyBus::sendFlaky(const std::vector<Flaky>& messages) {
    std::vector<WireMessage> wires;
    const auto serializer = plugins.current()->serializer;
    for (const auto& flaky : messages) {
        Message m("test.flaky", R"({"key":")" + flaky.key + R"(","failUntil":)" +
                                    std::to_string(flaky.failUntil) + "}");
        m.setId(Id::generate());
        m.setCreatedAt(1700000000000);
        if (flaky.partitionKey)
            m.setPartitionKey(*flaky.partitionKey);
        wires.push_back(serializer->encode(m));
    }
    send(wires, "test.flaky");
}

void FlakyBus::sendLockOrder(const std::vector<LockOrder>& messages) {
    std::vector<WireMessage> wires;
    const auto serializer = plugins.current()->serializer;
    for (const auto& order : messages) {
        std::string rows;
        for (int row : order.rows)
            rows += (rows.empty() ? "" : ",") + std::to_string(row);
        Message m("test.lockorder", R"({"key":")" + order.key + R"(","rows":[)" + rows +
                                        R"(],"pauseMs":)" + std::to_string(order.pauseMs) + "}");
        m.setId(Id::generate());
        m.setCreatedAt(1700000000000);
        m.setPartitionKey(order.partitionKey);
        wires.push_back(serializer->encode(m));
    }
    send(wires, "test.lockorder");
}

} // namespace msgbus::test
