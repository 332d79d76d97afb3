// kill -9 of `msgbus run` at random points, in a loop, while it relays and consumes a backlog of
// orders (MariaDB and SQLite): whatever a killed host had in hand is redone by the next one, and
// the accounting at the end is exact: every order projected and confirmed once, from its own
// event, one dedup row per message and consumer, an empty outbox, no retry or failed rows.
//
// The backlog is written by the test like the sample producer writes it, but 500 orders per
// transaction (the producer's one commit per order costs an fsync each: minutes for 20,000 here).
// MSGBUS_E2E_SEED=<n> replays a run's kill delays (the seed is printed).
#include "support/HostProcess.h"
#include "support/OrdersBus.h"

#include <cppunit/extensions/HelperMacros.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <random>
#include <thread>

using namespace msgbus::test;
using namespace std::chrono_literals;

class CrashRecoveryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CrashRecoveryTest);
    CPPUNIT_TEST(testKill9InALoopOnMariaDb);
    CPPUNIT_TEST(testKill9InALoopOnSqlite);
    CPPUNIT_TEST_SUITE_END();

    static constexpr int kMaxKills = 20;

    static std::uint32_t seed() {
        if (const char* s = std::getenv("MSGBUS_E2E_SEED"); s && *s)
            return static_cast<std::uint32_t>(std::stoul(s));
        return std::random_device{}();
    }

    static void crashLoop(const std::string& connector, int orders) {
        OrdersBus bus(connector);
        bus.setup();
        const auto produceStart = std::chrono::steady_clock::now();
        bus.writeOrders(1, orders);
        const auto produceMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now() - produceStart)
                                   .count();

        const std::uint32_t s = seed();
        std::mt19937 rng(s);
        std::uniform_int_distribution<int> delayMs(200, 1500);
        std::cout << "\n  " << connector << ": " << orders << " orders produced in " << produceMs
                  << " ms; kill seed " << s << " (MSGBUS_E2E_SEED)" << std::flush;

        int kills = 0;
        for (int i = 0; i < kMaxKills && !bus.complete(orders); ++i) {
            // Not waiting for "started:": the kill may land in start-up too.
            auto host = bus.spawnHost("host-" + std::to_string(i));
            const int delay = delayMs(rng);
            std::this_thread::sleep_for(std::chrono::milliseconds(delay));
            const bool alive = host->running();
            CPPUNIT_ASSERT_MESSAGE("host " + std::to_string(i) + " ended by itself: " +
                                       (host->status() ? host->status()->describe() : "") + "\n" +
                                       host->logTail(),
                                   alive);
            const auto status = host->kill9();
            CPPUNIT_ASSERT_EQUAL_MESSAGE(host->logTail(), SIGKILL, status.signal);
            ++kills;
            std::cout << "\n  kill " << kills << " after " << delay
                      << " ms: " << bus.counts().toString() << std::flush;
        }

        auto host = bus.startHost("host-final");
        const bool complete = bus.waitComplete(orders, 180s);
        CPPUNIT_ASSERT_MESSAGE("not complete after " + std::to_string(kills) +
                                   " kills: " + bus.counts().toString() + "\n" + host->logTail(),
                               complete);
        const bool drained = bus.waitQueuesDrained(60s);
        CPPUNIT_ASSERT_MESSAGE("queues not drained\n" + host->logTail(), drained);
        host->signal(SIGTERM);
        const auto status = host->waitExit(30s);
        CPPUNIT_ASSERT_MESSAGE(
            "SIGTERM after the crash loop: " + (status ? status->describe() : "no exit in 30 s") +
                "\n" + host->logTail(),
            status && status->success());
        bus.assertExactlyOnce(orders, connector + " after " + std::to_string(kills) + " kills");
        std::cout << "\n  " << connector << ": " << kills
                  << " kill -9s; the final run deduplicated "
                  << OrdersBus::summaryValue(*host, "deduplicated") << " redeliveries, consumed "
                  << OrdersBus::summaryValue(*host, "consumed") << std::flush;
    }

public:
    void testKill9InALoopOnMariaDb() { crashLoop("MySQL", 20000); }
    void testKill9InALoopOnSqlite() { crashLoop("SQLite", 5000); }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CrashRecoveryTest);
