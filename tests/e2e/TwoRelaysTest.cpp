// Two `msgbus run` processes on one MariaDB database and the same queues, two relay threads
// each (four relays claiming with FOR UPDATE SKIP LOCKED, competing consumers): 10,000 orders
// written while they run are published exactly once (no republish, no redelivery), projected
// and confirmed exactly once.
#include "support/HostProcess.h"
#include "support/OrdersBus.h"

#include <cppunit/extensions/HelperMacros.h>

#include <csignal>
#include <iostream>
#include <sstream>

using namespace msgbus::test;
using namespace std::chrono_literals;

class TwoRelaysTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(TwoRelaysTest);
    CPPUNIT_TEST(testTwoHostsDeliverEverythingExactlyOnce);
    CPPUNIT_TEST_SUITE_END();

    static void stop(HostProcess& host, const std::string& name) {
        host.signal(SIGTERM);
        const auto status = host.waitExit(30s);
        CPPUNIT_ASSERT_MESSAGE(
            name + " on SIGTERM: " + (status ? status->describe() : "no exit in 30 s") + "\n" +
                host.logTail(),
            status && status->success());
        CPPUNIT_ASSERT_MESSAGE(host.logTail(), host.logContains("stopped:"));
    }

    /// The log's warning and error lines.
    static std::string warnings(const HostProcess& host) {
        std::istringstream in(host.log());
        std::string line, out;
        while (std::getline(in, line))
            if (line.find(" Warning ") != std::string::npos ||
                line.find(" Error ") != std::string::npos)
                out += line + "\n";
        return out;
    }

public:
    void testTwoHostsDeliverEverythingExactlyOnce() {
        const int orders = 10000;
        OrdersBus bus("MySQL", {{"outbox.workers", "2"}});
        bus.setup();
        auto a = bus.startHost("host-a");
        auto b = bus.startHost("host-b");
        // Written while both run, 100 per transaction (the sample producer's one fsync per
        // order would make this test take minutes on this disk).
        bus.writeOrders(1, orders, 100);
        const bool complete = bus.waitComplete(orders, 180s);
        CPPUNIT_ASSERT_MESSAGE("not complete: " + bus.counts().toString() + "\n" + a->logTail() +
                                   b->logTail(),
                               complete);
        const bool drained = bus.waitQueuesDrained(60s);
        CPPUNIT_ASSERT_MESSAGE("queues not drained\n" + a->logTail() + b->logTail(), drained);
        CPPUNIT_ASSERT_MESSAGE(a->logTail(), a->running());
        CPPUNIT_ASSERT_MESSAGE(b->logTail(), b->running());
        stop(*a, "host-a");
        stop(*b, "host-b");
        bus.assertExactlyOnce(orders, "two hosts");

        // Both hosts took part and every message was handled exactly once (assertExactlyOnce
        // above checks every effect and dedup row). With nothing failing, four relays on one
        // table publish every row exactly once: a row confirmed twice would be a batch two
        // relays claimed (it happened while DELETEs scanned the table and deadlocked).
        const long long confirmedA = OrdersBus::summaryValue(*a, "confirmed");
        const long long confirmedB = OrdersBus::summaryValue(*b, "confirmed");
        const long long consumedA = OrdersBus::summaryValue(*a, "consumed");
        const long long consumedB = OrdersBus::summaryValue(*b, "consumed");
        const long long dedupA = OrdersBus::summaryValue(*a, "deduplicated");
        const long long dedupB = OrdersBus::summaryValue(*b, "deduplicated");
        std::cout << "\n  host-a confirmed=" << confirmedA << " consumed=" << consumedA
                  << " deduplicated=" << dedupA << "\n  host-b confirmed=" << confirmedB
                  << " consumed=" << consumedB << " deduplicated=" << dedupB
                  << "\n  republished (confirmed beyond one per row): "
                  << confirmedA + confirmedB - 2LL * orders << "\n"
                  << warnings(*a) << warnings(*b) << std::flush;
        CPPUNIT_ASSERT_MESSAGE(a->logTail(), confirmedA > 0);
        CPPUNIT_ASSERT_MESSAGE(b->logTail(), confirmedB > 0);
        const std::string logs = warnings(*a) + warnings(*b);
        CPPUNIT_ASSERT_EQUAL_MESSAGE("rows confirmed (each exactly once)\n" + logs, 2LL * orders,
                                     confirmedA + confirmedB);
        // Every handler ran exactly once per message across both hosts, and nothing reached
        // a consumer twice.
        CPPUNIT_ASSERT_EQUAL(2LL * orders, consumedA + consumedB);
        CPPUNIT_ASSERT_EQUAL_MESSAGE("duplicate deliveries\n" + logs, 0LL, dedupA + dedupB);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TwoRelaysTest);
