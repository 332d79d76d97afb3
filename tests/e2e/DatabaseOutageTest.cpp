// The inbox's database goes away while messages arrive, for longer than a quorum queue's
// x-delivery-limit would survive if each retry cycle gave the batch back, and comes back.
//
// `msgbus run` with the orders sample on MariaDB: MariaDB is stopped, 50 order.placed events
// are published straight to the broker (the outbox needs the database), and MariaDB starts
// again after MSGBUS_OUTAGE_SECONDS (75 by default; `BENCH_ONLY=outage ./run bench` runs the
// quorum case for ten minutes with x-delivery-limit = 50 and inbox.max_redeliveries = 5, through
// MSGBUS_OUTAGE_DELIVERY_LIMIT and MSGBUS_OUTAGE_MAX_REDELIVERIES). Meanwhile the consumers hold
// what they have, keep their connections alive and give nothing back: /ready says what is held and
// why, the log says it once. Afterwards each order is projected and confirmed exactly once (100
// effects), no retry or failed row, both queues empty, and the host gave back no delivery. On
// quorum queues with x-delivery-limit = 6 and inbox.max_redeliveries = 1 (the setup that lost every
// message when each cycle gave the batch back), and on classic queues.
//
// The shared MariaDB is stopped and started through ServiceOutage (started again whatever
// happens); CTest runs this suite alone (RUN_SERIAL).
#include "support/HostProcess.h"
#include "support/HttpProbe.h"
#include "support/OrdersBus.h"
#include "support/ServiceOutage.h"

#include <cppunit/extensions/HelperMacros.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

using namespace msgbus::test;
using namespace std::chrono_literals;

namespace {

/// An environment variable's value, or fallback when it is unset or empty.
std::string knob(const char* name, const std::string& fallback) {
    const char* text = std::getenv(name);
    return text && *text ? std::string(text) : fallback;
}

std::chrono::seconds outageLength() {
    return std::chrono::seconds(std::stoi(knob("MSGBUS_OUTAGE_SECONDS", "75")));
}

/// The value of a Prometheus counter or gauge in a /metrics page, or -1.
double metric(const std::string& page, const std::string& name) {
    const auto at = page.find("\n" + name + " ");
    return at == std::string::npos ? -1.0 : std::atof(page.c_str() + at + name.size() + 2);
}

/// How many lines of text contain needle.
int linesWith(const std::string& text, const std::string& needle) {
    int n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
        ++n;
    return n;
}

} // namespace

class DatabaseOutageTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DatabaseOutageTest);
    CPPUNIT_TEST(testQuorumQueuesLoseNothingWhileTheDatabaseIsAway);
    CPPUNIT_TEST(testClassicQueuesLoseNothingWhileTheDatabaseIsAway);
    CPPUNIT_TEST(testAHoldEndsByGivingBackOnceUncounted);
    CPPUNIT_TEST_SUITE_END();

    /// A bus on quorum queues with x-delivery-limit (when given) and its /metrics port.
    static void useQueues(OrdersBus& bus, const std::string& queueType,
                          const std::string& deliveryLimit) {
        for (const auto& queue : {bus.placedQueue(), bus.confirmedQueue()}) {
            bus.properties()["amqp.queue." + queue + ".type"] = queueType;
            if (!deliveryLimit.empty())
                bus.properties()["amqp.queue." + queue + ".argument.x-delivery-limit"] =
                    deliveryLimit;
        }
        bus.writeConfig();
    }

    /// Starts the host, then stops the database under it and publishes events straight to the
    /// broker (the outbox would need the database).
    static std::unique_ptr<HostProcess>
    hostWithoutDatabase(OrdersBus& bus, ServiceOutage& database,
                        const std::vector<msgbus::core::amqp::OutgoingMessage>& events) {
        auto host = bus.startHost("host");
        std::this_thread::sleep_for(1s);
        database.stop();
        bus.publishToBroker(events);
        return host;
    }

    static double givenBack(int port) {
        return metric(httpGet(port, "/metrics").body, "msgbus_inbox_given_back_total");
    }

    static void outage(const std::string& queueType, const std::string& deliveryLimit) {
        constexpr int kOrders = 50;
        const int port = freeLocalPort();
        OrdersBus bus("MySQL",
                      {{"inbox.max_redeliveries", knob("MSGBUS_OUTAGE_MAX_REDELIVERIES", "1")},
                       {"http.port", std::to_string(port)}});
        useQueues(bus, queueType, deliveryLimit);
        bus.setup();
        const auto events = bus.ordersForTheBroker(1, kOrders);
        // Declared after the bus: destroyed first, so the database is back before the bus
        // cleans up.
        ServiceOutage database("mariadb");
        auto host = hostWithoutDatabase(bus, database, events);
        // Measured from here, the outage lasts at least outageLength().
        const auto stoppedAt = std::chrono::steady_clock::now();
        std::cout << "\n  " << queueType << ": MariaDB stopped, " << kOrders
                  << " orders published, back in " << outageLength().count() << " s" << std::flush;
        HttpReply ready;
        CPPUNIT_ASSERT_MESSAGE(
            "/ready never said what the inbox holds: " + ready.body + "\n" + host->logTail(),
            waitUntil(
                [&] {
                    ready = httpGet(port, "/ready");
                    return ready.status == 503 &&
                           ready.body.find("consumer placed holds") != std::string::npos;
                },
                30s, 250ms));
        std::this_thread::sleep_until(stoppedAt + outageLength());
        CPPUNIT_ASSERT_MESSAGE("the host ended during the outage\n" + host->logTail(),
                               host->running());
        database.start();

        CPPUNIT_ASSERT_MESSAGE("not all orders arrived after the outage: " +
                                   bus.counts().toString() + "\n" + host->logTail(),
                               bus.waitComplete(kOrders, 120s));
        CPPUNIT_ASSERT(bus.waitQueuesDrained(30s));
        bus.assertExactlyOnce(kOrders, queueType + " queues after a database outage");

        const HttpReply metrics = httpGet(port, "/metrics");
        const double givenBack = metric(metrics.body, "msgbus_inbox_given_back_total");
        std::cout << "; " << kOrders * 2 << " effects, deliveries given back: " << givenBack
                  << std::flush;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(metrics.body, 0.0, givenBack);
        CPPUNIT_ASSERT_EQUAL(0.0, metric(metrics.body, "msgbus_inbox_held_deliveries"));
        CPPUNIT_ASSERT_EQUAL(200, httpGet(port, "/ready").status);

        host->signal(SIGTERM);
        const auto status = host->waitExit(30s);
        CPPUNIT_ASSERT_MESSAGE(host->logTail(), status && status->success());
        // Said once when the hold began and once when it ended, not every probe.
        const std::string log = host->logTail(1 << 20);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(
            log, 1, linesWith(log, "consumer placed: the batch cannot be committed"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(log, 1, linesWith(log, "consumer placed: held "));
    }

public:
    void testAHoldEndsByGivingBackOnceUncounted() {
        // A hold that lasts past inbox.max_hold_ms gives its deliveries back once and takes
        // them again; SIGTERM during a hold gives them back once and the host exits at once.
        // Neither return counts: with x-delivery-limit = 6 and inbox.max_redeliveries = 1 a
        // new host handles every order exactly once afterwards.
        constexpr int kOrders = 20;
        const int port = freeLocalPort();
        OrdersBus bus("MySQL", {{"inbox.max_redeliveries", "1"},
                                {"inbox.max_hold_ms", "3000"},
                                {"http.port", std::to_string(port)}});
        useQueues(bus, "quorum", "6");
        bus.setup();
        const auto events = bus.ordersForTheBroker(1, kOrders);
        ServiceOutage database("mariadb");
        auto host = hostWithoutDatabase(bus, database, events);
        CPPUNIT_ASSERT_MESSAGE("no hold ended after inbox.max_hold_ms\n" + host->logTail(),
                               waitUntil([&] { return givenBack(port) > 0; }, 20s, 250ms));
        // Taken again and held again, not lost: nothing waits in the queue.
        CPPUNIT_ASSERT(waitUntil(
            [&] {
                const HttpReply ready = httpGet(port, "/ready");
                return ready.body.find("consumer placed holds") != std::string::npos &&
                       bus.queueDepth(bus.placedQueue()) == 0;
            },
            10s, 100ms));

        const auto signalled = std::chrono::steady_clock::now();
        host->signal(SIGTERM);
        const auto status = host->waitExit(15s);
        CPPUNIT_ASSERT_MESSAGE(host->logTail(), status && status->success());
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - signalled < 10s);
        CPPUNIT_ASSERT(host->logTail(1 << 20).find("stopping: they go back to the broker") !=
                       std::string::npos);
        CPPUNIT_ASSERT(
            waitUntil([&] { return bus.queueDepth(bus.placedQueue()) == kOrders; }, 10s, 100ms));

        database.start();
        auto next = bus.startHost("host-2");
        CPPUNIT_ASSERT_MESSAGE(bus.counts().toString() + "\n" + next->logTail(),
                               bus.waitComplete(kOrders, 60s));
        CPPUNIT_ASSERT(bus.waitQueuesDrained(30s));
        bus.assertExactlyOnce(kOrders, "after holds that ended by time and by SIGTERM");
        next->signal(SIGTERM);
        CPPUNIT_ASSERT(next->waitExit(30s));
    }

    void testQuorumQueuesLoseNothingWhileTheDatabaseIsAway() {
        outage("quorum", knob("MSGBUS_OUTAGE_DELIVERY_LIMIT", "6"));
    }

    void testClassicQueuesLoseNothingWhileTheDatabaseIsAway() { outage("classic", ""); }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DatabaseOutageTest);
