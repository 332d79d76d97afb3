// A service goes away for 10 s while `msgbus run` relays and consumes a backlog of orders on
// MariaDB, and comes back:
// - RabbitMQ: the host reconnects its relays and consumers; unconfirmed batches are published
//   again.
// - MariaDB: relay batches whose DELETE or COMMIT failed leave their rows to be published again,
//   inbox batches whose COMMIT failed are nacked and redelivered.
// Either way the host stays up, every order is projected and confirmed exactly once, the
// outbox ends empty, SIGTERM still exits 0, and the errors are logged without credentials.
//
// The shared test services are stopped and started through ServiceOutage (started again
// whatever happens); CTest runs this suite alone (RUN_SERIAL).
#include "support/HostProcess.h"
#include "support/OrdersBus.h"
#include "support/ServiceOutage.h"

#include <cppunit/extensions/HelperMacros.h>

#include <csignal>
#include <iostream>
#include <thread>

using namespace msgbus::test;
using namespace std::chrono_literals;

class ServiceRestartTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ServiceRestartTest);
    CPPUNIT_TEST(testHostSurvivesBrokerRestartAndDeliversExactlyOnce);
    CPPUNIT_TEST(testHostSurvivesDatabaseRestartAndDeliversExactlyOnce);
    CPPUNIT_TEST_SUITE_END();

    /// After a database restart the test's own pooled sessions are dead: read until a query
    /// works again.
    static OrdersBus::Counts countsOnceReachable(OrdersBus& bus) {
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        for (;;) {
            try {
                return bus.counts();
            } catch (const std::exception&) {
                if (std::chrono::steady_clock::now() > deadline)
                    throw;
                std::this_thread::sleep_for(200ms);
            }
        }
    }

    static void outage(const std::string& service, int orders) {
        OrdersBus bus("MySQL");
        bus.setup();
        bus.writeOrders(1, orders);
        // Declared after the bus: destroyed first, so the service is back before the bus
        // cleans up.
        ServiceOutage outage(service);
        auto host = bus.startHost("host");
        std::this_thread::sleep_for(1s);

        std::cout << "\n  " << service << " stopping at " << bus.counts().toString() << std::flush;
        outage.stop();
        std::this_thread::sleep_for(10s);
        CPPUNIT_ASSERT_MESSAGE("the host ended while " + service + " was down\n" + host->logTail(),
                               host->running());
        outage.start();
        const auto back = std::chrono::steady_clock::now();
        std::cout << "\n  " << service << " started at " << countsOnceReachable(bus).toString()
                  << std::flush;

        const bool complete = bus.waitComplete(orders, 120s);
        CPPUNIT_ASSERT_MESSAGE("not complete 120 s after " + service + " came back: " +
                                   bus.counts().toString() + "\n" + host->logTail(),
                               complete);
        std::cout << "\n  complete "
                  << std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - back)
                         .count()
                  << " ms after " << service << " came back" << std::flush;
        const bool drained = bus.waitQueuesDrained(60s);
        CPPUNIT_ASSERT_MESSAGE("queues not drained\n" + host->logTail(), drained);
        CPPUNIT_ASSERT_MESSAGE("the host did not survive the restart of " + service + "\n" +
                                   host->logTail(),
                               host->running());

        host->signal(SIGTERM);
        const auto status = host->waitExit(30s);
        CPPUNIT_ASSERT_MESSAGE("SIGTERM after the restart of " + service + ": " +
                                   (status ? status->describe() : "no exit in 30 s") + "\n" +
                                   host->logTail(),
                               status && status->success());
        CPPUNIT_ASSERT_MESSAGE(host->logTail(), host->logContains("stopped:"));
        bus.assertExactlyOnce(orders, service + " restart");
        // The connection errors were logged, without the credentials they came with.
        CPPUNIT_ASSERT_MESSAGE(host->logTail(), host->logContains(" Warning "));
        CPPUNIT_ASSERT_MESSAGE(host->logTail(), !host->logContains("password="));
        CPPUNIT_ASSERT_MESSAGE(host->logTail(), !host->logContains("msgbus-test"));
        std::cout << "\n  deduplicated=" << OrdersBus::summaryValue(*host, "deduplicated")
                  << " published=" << OrdersBus::summaryValue(*host, "published")
                  << " confirmed=" << OrdersBus::summaryValue(*host, "confirmed") << std::flush;
    }

public:
    void testHostSurvivesBrokerRestartAndDeliversExactlyOnce() { outage("rabbitmq", 5000); }

    void testHostSurvivesDatabaseRestartAndDeliversExactlyOnce() {
        // Enough for the relays and consumers to be busy when the database goes away.
        outage("mariadb", 20000);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ServiceRestartTest);
