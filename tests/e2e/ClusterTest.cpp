// msgbus on a three-node RabbitMQ cluster with quorum queues (replicated on every node), end to
// end with `msgbus run`, the orders sample and MariaDB: a broker node dies under load (SIGKILL)
// and comes back 10 s later, once the node of a queue's leader and once another node, and with
// two hosts at once. Every order is projected and confirmed exactly once, nothing is left in
// the outbox or the queues, no message becomes a retry or failed row, the hosts never exit and
// stop cleanly on SIGTERM. The republishes and redeliveries the node loss causes are counted
// and absorbed (printed with the time the pipeline took to move again).
//
// The cluster comes from `./run test` (services.sh cluster-start). Runs alone: it kills nodes.
#include "support/HostProcess.h"
#include "support/HttpProbe.h"
#include "support/OrdersBus.h"
#include "support/RabbitCluster.h"

#include <cppunit/extensions/HelperMacros.h>

#include <csignal>
#include <iostream>
#include <thread>

using namespace msgbus::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

long long millisSince(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

/// The orders bus on the cluster: every node in amqp.url (the first one rotated by firstNode),
/// both queues quorum queues with a delivery limit.
void onCluster(OrdersBus& bus, const RabbitCluster& cluster, int firstNode = 1) {
    auto urls = cluster.urls();
    std::rotate(urls.begin(), urls.begin() + (firstNode - 1), urls.end());
    std::string list;
    for (const auto& url : urls)
        list += (list.empty() ? "" : ",") + url;
    bus.properties()["amqp.url"] = list;
    for (const auto& queue : {bus.placedQueue(), bus.confirmedQueue()}) {
        bus.properties()["amqp.queue." + queue + ".type"] = "quorum";
        bus.properties()["amqp.queue." + queue + ".argument.x-delivery-limit"] = "50";
    }
    bus.writeConfig();
}

void stopCleanly(HostProcess& host, const std::string& name) {
    host.signal(SIGTERM);
    const auto status = host.waitExit(60s);
    CPPUNIT_ASSERT_MESSAGE(name + ": " + (status ? status->describe() : "still running") + "\n" +
                               host.logTail(),
                           status && status->success());
}

/// Kills node victim while orders flow, starts it again 10 s later; returns how long the
/// projections stood still after the kill (ms).
long long killAndRestore(OrdersBus& bus, RabbitCluster& cluster, int victim,
                         const std::vector<HostProcess*>& hosts) {
    const auto before = bus.scalar("SELECT COUNT(*) FROM order_projection");
    const auto killedAt = Clock::now();
    cluster.killNode(victim);
    long long stalledMs = -1;
    while (millisSince(killedAt) < 10000) {
        if (stalledMs < 0 && bus.scalar("SELECT COUNT(*) FROM order_projection") > before + 200)
            stalledMs = millisSince(killedAt);
        std::this_thread::sleep_for(100ms);
    }
    for (auto* host : hosts)
        CPPUNIT_ASSERT_MESSAGE("a host ended while node " + std::to_string(victim) + " was down\n" +
                                   host->logTail(),
                               host->running());
    cluster.startNode(victim);
    if (stalledMs < 0) {
        const bool moved = waitUntil(
            [&] { return bus.scalar("SELECT COUNT(*) FROM order_projection") > before + 200; },
            120s);
        CPPUNIT_ASSERT_MESSAGE("no progress after node " + std::to_string(victim) + " came back",
                               moved);
        stalledMs = millisSince(killedAt);
    }
    return stalledMs;
}

void report(const std::string& what, const HostProcess& host, long long stalledMs) {
    std::cout << "\n  " << what << ": moving again " << stalledMs
              << " ms after the kill; published=" << OrdersBus::summaryValue(host, "published")
              << " confirmed=" << OrdersBus::summaryValue(host, "confirmed")
              << " consumed=" << OrdersBus::summaryValue(host, "consumed")
              << " deduplicated=" << OrdersBus::summaryValue(host, "deduplicated") << std::flush;
}

} // namespace

class ClusterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ClusterTest);
    CPPUNIT_TEST(testLeaderNodeLossUnderLoadLosesAndDoublesNothing);
    CPPUNIT_TEST(testOtherNodeLossUnderLoadLosesAndDoublesNothing);
    CPPUNIT_TEST(testTwoHostsOnThreeNodesThroughANodeLoss);
    CPPUNIT_TEST_SUITE_END();

    static void nodeLossUnderLoad(bool leader) {
        RabbitCluster cluster;
        OrdersBus bus("MySQL");
        const int httpPort = freeLocalPort();
        bus.properties()["http.port"] = std::to_string(httpPort);
        onCluster(bus, cluster);
        bus.setup();
        const int orders = 20000;
        auto writer = bus.writeOrdersInBackground(1, orders, 500);
        auto host = bus.startHost("host");
        const bool flowing =
            waitUntil([&] { return bus.scalar("SELECT COUNT(*) FROM order_projection") >= 2000; },
                      120s, 20ms);
        CPPUNIT_ASSERT_MESSAGE(
            "nothing projected: " + bus.counts().toString() + "\n" + host->logTail(), flowing);
        const int leaderNode = cluster.nodeOfQueueLeader(bus.placedQueue());
        const int victim = leader ? leaderNode : leaderNode % cluster.size() + 1;
        const auto stalled = killAndRestore(bus, cluster, victim, {host.get()});
        writer.get();
        const bool complete = bus.waitComplete(orders, 300s);
        CPPUNIT_ASSERT_MESSAGE("not complete: " + bus.counts().toString() + "\n" + host->logTail(),
                               complete);
        const bool drained = bus.waitQueuesDrained(60s);
        CPPUNIT_ASSERT_MESSAGE("queues not drained\n" + host->logTail(), drained);
        CPPUNIT_ASSERT_MESSAGE(host->logTail(), host->running());
        // /ready names the node each connection uses now (never a password).
        const auto ready = httpGet(httpPort, "/ready");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ready.body, 200, ready.status);
        CPPUNIT_ASSERT_MESSAGE(ready.body, ready.body.find("consumer placed on 127.0.0.1:") !=
                                               std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(ready.body,
                               ready.body.find("relay 0 on 127.0.0.1:") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(ready.body, ready.body.find("msgbus-test") == std::string::npos);
        stopCleanly(*host, "host");
        report(std::string(leader ? "leader" : "other") + " node " + std::to_string(victim) +
                   " killed (placed leader on node " + std::to_string(leaderNode) + ")",
               *host, stalled);
        bus.assertExactlyOnce(orders, leader ? "leader node loss" : "other node loss");
    }

public:
    void testLeaderNodeLossUnderLoadLosesAndDoublesNothing() { nodeLossUnderLoad(true); }
    void testOtherNodeLossUnderLoadLosesAndDoublesNothing() { nodeLossUnderLoad(false); }

    void testTwoHostsOnThreeNodesThroughANodeLoss() {
        RabbitCluster cluster;
        OrdersBus bus("MySQL");
        onCluster(bus, cluster, 1);
        bus.setup();
        const int orders = 10000;
        auto writer = bus.writeOrdersInBackground(1, orders, 500);
        auto first = bus.startHost("host-1");
        onCluster(bus, cluster, 2); // the second host lists node 2 first
        auto second = bus.startHost("host-2");
        const bool flowing =
            waitUntil([&] { return bus.scalar("SELECT COUNT(*) FROM order_projection") >= 1000; },
                      120s, 20ms);
        CPPUNIT_ASSERT_MESSAGE("nothing projected: " + bus.counts().toString(), flowing);
        const int victim = cluster.nodeOfQueueLeader(bus.confirmedQueue());
        const auto stalled = killAndRestore(bus, cluster, victim, {first.get(), second.get()});
        writer.get();
        const bool complete = bus.waitComplete(orders, 300s);
        CPPUNIT_ASSERT_MESSAGE("not complete: " + bus.counts().toString() + "\n" +
                                   first->logTail() + "\n" + second->logTail(),
                               complete);
        const bool drained = bus.waitQueuesDrained(60s);
        CPPUNIT_ASSERT_MESSAGE("queues not drained", drained);
        stopCleanly(*first, "host-1");
        stopCleanly(*second, "host-2");
        report("two hosts, node " + std::to_string(victim) + " killed; host-1", *first, stalled);
        report("two hosts; host-2", *second, stalled);
        bus.assertExactlyOnce(orders, "two hosts through a node loss");
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ClusterTest);
