// RabbitMQ goes away for 10 s while `msgbus run` relays and consumes a backlog of orders on
// MariaDB: the host stays up, reconnects its relays and consumers, and in the end every order is
// projected and confirmed exactly once, the outbox is empty and SIGTERM still exits 0.
//
// Stops and starts the shared test broker (ServiceOutage); it is started again whatever happens
// (CTest runs this test alone: RUN_SERIAL).
#include "support/HostProcess.h"
#include "support/OrdersBus.h"
#include "support/ServiceOutage.h"
#include "support/TestEnv.h"

#include <cppunit/extensions/HelperMacros.h>

#include <csignal>
#include <iostream>
#include <thread>

using namespace msgbus::test;
using namespace std::chrono_literals;

namespace {

long long msSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start)
        .count();
}

} // namespace

class BrokerRestartTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BrokerRestartTest);
    CPPUNIT_TEST(testHostSurvivesBrokerRestartAndDeliversExactlyOnce);
    CPPUNIT_TEST_SUITE_END();

public:
    void testHostSurvivesBrokerRestartAndDeliversExactlyOnce() {
        const int orders = 5000;
        OrdersBus bus("MySQL");
        bus.setup();
        bus.writeOrders(1, orders);
        // Declared after the bus: destroyed first, so the broker is back before the bus deletes
        // its queues.
        ServiceOutage outage("rabbitmq");
        auto host = bus.startHost("host");
        std::this_thread::sleep_for(1s);

        const auto atStop = bus.counts();
        auto t0 = std::chrono::steady_clock::now();
        outage.stop();
        std::cout << "\n  broker stopped (" << msSince(t0) << " ms) at " << atStop.toString()
                  << std::flush;
        std::this_thread::sleep_for(10s);
        CPPUNIT_ASSERT_MESSAGE("the host ended while the broker was down\n" + host->logTail(),
                               host->running());
        t0 = std::chrono::steady_clock::now();
        outage.start();
        std::cout << "\n  broker started (" << msSince(t0) << " ms) at " << bus.counts().toString()
                  << std::flush;

        t0 = std::chrono::steady_clock::now();
        const bool complete = bus.waitComplete(orders, 120s);
        CPPUNIT_ASSERT_MESSAGE("not complete 120 s after the broker came back: " +
                                   bus.counts().toString() + "\n" + host->logTail(),
                               complete);
        std::cout << "\n  complete " << msSince(t0) << " ms after the broker came back"
                  << std::flush;
        const bool drained = bus.waitQueuesDrained(60s);
        CPPUNIT_ASSERT_MESSAGE("queues not drained\n" + host->logTail(), drained);
        CPPUNIT_ASSERT_MESSAGE("the host did not survive the broker restart\n" + host->logTail(),
                               host->running());

        host->signal(SIGTERM);
        const auto status = host->waitExit(30s);
        CPPUNIT_ASSERT_MESSAGE("SIGTERM after the broker restart: " +
                                   (status ? status->describe() : "no exit in 30 s") + "\n" +
                                   host->logTail(),
                               status && status->success());
        CPPUNIT_ASSERT_MESSAGE(host->logTail(), host->logContains("stopped:"));
        bus.assertExactlyOnce(orders, "broker restart");
        std::cout << "\n  deduplicated=" << OrdersBus::summaryValue(*host, "deduplicated")
                  << " published=" << OrdersBus::summaryValue(*host, "published")
                  << " confirmed=" << OrdersBus::summaryValue(*host, "confirmed") << std::flush;
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BrokerRestartTest);
