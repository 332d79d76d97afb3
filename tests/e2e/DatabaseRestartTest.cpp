// MariaDB goes away for 10 s while `msgbus run` relays and consumes a backlog of orders: the
// host stays up; relay batches whose DELETE or COMMIT failed leave their rows to be published
// again, inbox batches whose COMMIT failed are nacked and redelivered, and in the end every
// order is projected and confirmed exactly once, the outbox is empty and SIGTERM still exits 0.
//
// Stops and starts the shared test database (ServiceOutage); it is started again whatever
// happens (CTest runs this test alone: RUN_SERIAL).
#include "support/HostProcess.h"
#include "support/OrdersBus.h"
#include "support/ServiceOutage.h"

#include <cppunit/extensions/HelperMacros.h>

#include <csignal>
#include <iostream>
#include <thread>

using namespace msgbus::test;
using namespace std::chrono_literals;

class DatabaseRestartTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DatabaseRestartTest);
    CPPUNIT_TEST(testHostSurvivesDatabaseRestartAndDeliversExactlyOnce);
    CPPUNIT_TEST_SUITE_END();

    /// The test's own pooled sessions died with the server: read until a query works again.
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

public:
    void testHostSurvivesDatabaseRestartAndDeliversExactlyOnce() {
        // Enough for the relays and consumers to be busy when the database goes away.
        const int orders = 20000;
        OrdersBus bus("MySQL");
        bus.setup();
        bus.writeOrders(1, orders);
        // Declared after the bus: destroyed first, so the database is back before the bus
        // drops its tables.
        ServiceOutage outage("mariadb");
        auto host = bus.startHost("host");
        std::this_thread::sleep_for(1s);

        const auto atStop = bus.counts();
        outage.stop();
        std::cout << "\n  database stopped at " << atStop.toString() << std::flush;
        std::this_thread::sleep_for(10s);
        CPPUNIT_ASSERT_MESSAGE("the host ended while the database was down\n" + host->logTail(),
                               host->running());
        outage.start();
        std::cout << "\n  database started at " << countsOnceReachable(bus).toString()
                  << std::flush;

        const bool complete = bus.waitComplete(orders, 120s);
        CPPUNIT_ASSERT_MESSAGE("not complete 120 s after the database came back: " +
                                   bus.counts().toString() + "\n" + host->logTail(),
                               complete);
        const bool drained = bus.waitQueuesDrained(60s);
        CPPUNIT_ASSERT_MESSAGE("queues not drained\n" + host->logTail(), drained);
        CPPUNIT_ASSERT_MESSAGE("the host did not survive the database restart\n" + host->logTail(),
                               host->running());

        host->signal(SIGTERM);
        const auto status = host->waitExit(30s);
        CPPUNIT_ASSERT_MESSAGE("SIGTERM after the database restart: " +
                                   (status ? status->describe() : "no exit in 30 s") + "\n" +
                                   host->logTail(),
                               status && status->success());
        bus.assertExactlyOnce(orders, "database restart");
        // The connection errors were logged without the credentials they came with.
        CPPUNIT_ASSERT_MESSAGE(host->logTail(), host->logContains("relay batch failed"));
        CPPUNIT_ASSERT_MESSAGE(host->logTail(), !host->logContains("password="));
        CPPUNIT_ASSERT_MESSAGE(host->logTail(), !host->logContains("msgbus-test"));
        std::cout << "\n  deduplicated=" << OrdersBus::summaryValue(*host, "deduplicated")
                  << " published=" << OrdersBus::summaryValue(*host, "published")
                  << " confirmed=" << OrdersBus::summaryValue(*host, "confirmed") << std::flush;
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DatabaseRestartTest);
