// `msgbus run` while MariaDB stops answering (SIGSTOP: connections stay open, nothing comes
// back), end to end with the orders sample: SIGTERM still ends the host within seconds, and
// once the database answers again a new host completes the work exactly once.
#include "support/HostProcess.h"
#include "support/OrdersBus.h"
#include "support/ServiceOutage.h"

#include <cppunit/extensions/HelperMacros.h>

#include <csignal>
#include <iostream>
#include <thread>

using namespace msgbus::test;
using namespace std::chrono_literals;

class FrozenDatabaseTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FrozenDatabaseTest);
    CPPUNIT_TEST(testSigtermEndsTheHostWhileTheDatabaseIsFrozen);
    CPPUNIT_TEST_SUITE_END();

public:
    void testSigtermEndsTheHostWhileTheDatabaseIsFrozen() {
        const int orders = 2000;
        OrdersBus bus("MySQL", {{"db.io_timeout_ms", "2000"}, {"db.pool.wait_ms", "2000"}});
        bus.setup();
        auto host = bus.startHost("host-1");
        {
            auto writer = bus.writeOrdersInBackground(1, orders, 50);
            const bool flowing =
                waitUntil([&] { return bus.scalar("SELECT COUNT(*) FROM order_projection") >= 50; },
                          60s, 20ms);
            CPPUNIT_ASSERT_MESSAGE("nothing projected within 60 s\n" + host->logTail(), flowing);
            writer.get();
        }
        std::optional<ExitStatus> status;
        std::chrono::milliseconds took{};
        {
            FrozenMariaDb frozen;
            std::this_thread::sleep_for(3s); // the workers are now waiting on the database
            const auto start = std::chrono::steady_clock::now();
            host->signal(SIGTERM);
            status = host->waitExit(30s);
            took = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - start);
        }
        CPPUNIT_ASSERT_MESSAGE("still running 30 s after SIGTERM with the database frozen\n" +
                                   host->logTail(),
                               status.has_value());
        std::cout << "\n  SIGTERM with the database frozen: " << status->describe() << " after "
                  << took.count() << " ms" << std::flush;
        CPPUNIT_ASSERT_MESSAGE(status->describe() + "\n" + host->logTail(), status->success());

        // The database answers again: a second host finishes, and nothing happened twice.
        auto second = bus.startHost("host-2");
        const bool done = bus.waitComplete(orders, 120s);
        CPPUNIT_ASSERT_MESSAGE(
            "not complete: " + bus.counts().toString() + "\n" + second->logTail(), done);
        second->signal(SIGTERM);
        CPPUNIT_ASSERT(second->waitExit(30s).has_value());
        bus.assertExactlyOnce(orders, "after a frozen database");
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FrozenDatabaseTest);
