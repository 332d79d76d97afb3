// `msgbus run` and its signals, end to end with the orders sample on MariaDB: SIGTERM and SIGINT
// drain and exit 0 (idle and while messages flow, losing nothing and doubling nothing across
// the restart), SIGHUP reloads the plugins, and a SIGHUP with a broken properties file keeps the
// running generation and goes on processing.
//
// Conditions that wait are evaluated before their CPPUNIT_ASSERT_MESSAGE: the macro may build
// the message (with the log tail) before it evaluates the condition.
#include "support/HostProcess.h"
#include "support/OrdersBus.h"

#include <cppunit/extensions/HelperMacros.h>

#include <csignal>
#include <cstring>
#include <future>
#include <iostream>
#include <thread>

using namespace msgbus::test;
using namespace std::chrono_literals;

class SignalsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SignalsTest);
    CPPUNIT_TEST(testSigtermWhileIdleExitsZeroWithSummary);
    CPPUNIT_TEST(testSigtermWhileMessagesFlowLosesAndDoublesNothing);
    CPPUNIT_TEST(testSigintBehavesLikeSigterm);
    CPPUNIT_TEST(testSighupWithUnchangedConfigLoadsGenerationTwo);
    CPPUNIT_TEST(testSighupWithInvalidConfigKeepsRunningAndProcessing);
    CPPUNIT_TEST_SUITE_END();

    /// Sends sig and asserts the host exits 0 within timeout with its "stopped:" summary.
    static void stopAndExpectCleanExit(HostProcess& host, int sig, std::chrono::seconds timeout) {
        const std::string name = ::strsignal(sig);
        const auto start = std::chrono::steady_clock::now();
        host.signal(sig);
        const auto status = host.waitExit(timeout);
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
        CPPUNIT_ASSERT_MESSAGE("no exit within " + std::to_string(timeout.count()) + " s of " +
                                   name + "\n" + host.logTail(),
                               status.has_value());
        CPPUNIT_ASSERT_MESSAGE(name + ": " + status->describe() + "\n" + host.logTail(),
                               status->success());
        CPPUNIT_ASSERT_MESSAGE("no 'stopped:' summary\n" + host.logTail(),
                               host.logContains("stopped:"));
        std::cout << "\n  " << name << ": exit 0 after " << ms << " ms" << std::flush;
    }

    /// Orders flow (written in the background, the host relaying and consuming); sig arrives in
    /// the middle; a second host finishes the work; everything happened exactly once. With
    /// producerProgram the orders come from the sample's orders-producer (one transaction, so
    /// one fsync, per order: slow on this disk), else from the test in transactions of 50.
    static void signalWhileMessagesFlow(int sig, int orders, bool producerProgram) {
        OrdersBus bus("MySQL");
        bus.setup();
        std::unique_ptr<HostProcess> producer;
        std::future<void> writer;
        if (producerProgram)
            producer = bus.startProducer(orders);
        else
            writer = bus.writeOrdersInBackground(1, orders, 50);
        auto host = bus.startHost("host-1");
        // Signal once the pipeline demonstrably runs end to end (projections committed).
        const bool flowing = waitUntil(
            [&] { return bus.scalar("SELECT COUNT(*) FROM order_projection") >= 50; }, 60s, 20ms);
        CPPUNIT_ASSERT_MESSAGE("nothing projected within 60 s: " + bus.counts().toString() + "\n" +
                                   host->logTail(),
                               flowing);
        const auto atSignal = bus.counts();
        stopAndExpectCleanExit(*host, sig, 30s);
        std::cout << "\n  at the signal: " << atSignal.toString()
                  << "\n  after exit:    " << bus.counts().toString() << std::flush;
        CPPUNIT_ASSERT_MESSAGE("everything was done before the signal: nothing was tested",
                               atSignal.confirmations < orders);

        if (producer) {
            const auto produced = producer->waitExit(3min);
            CPPUNIT_ASSERT_MESSAGE(
                "producer: " + (produced ? produced->describe() : "still running") + "\n" +
                    producer->logTail(),
                produced && produced->success());
        } else {
            writer.get();
        }
        auto again = bus.startHost("host-2");
        const bool complete = bus.waitComplete(orders, 180s);
        CPPUNIT_ASSERT_MESSAGE("not complete after the restart: " + bus.counts().toString() + "\n" +
                                   again->logTail(),
                               complete);
        const bool drained = bus.waitQueuesDrained(30s);
        CPPUNIT_ASSERT_MESSAGE("queues not drained\n" + again->logTail(), drained);
        stopAndExpectCleanExit(*again, SIGTERM, 30s);
        bus.assertExactlyOnce(orders, ::strsignal(sig) + std::string(" while flowing"));
    }

    static bool projected(OrdersBus& bus, const std::string& orderId) {
        return bus.scalar("SELECT COUNT(*) FROM order_projection WHERE order_id = '" + orderId +
                          "'") == 1 &&
               bus.scalar("SELECT COUNT(*) FROM order_confirmations WHERE order_id = '" + orderId +
                          "'") == 1;
    }

public:
    void testSigtermWhileIdleExitsZeroWithSummary() {
        OrdersBus bus("MySQL");
        bus.setup();
        auto host = bus.startHost("host");
        std::this_thread::sleep_for(1s); // relays polling, consumers waiting on their queues
        CPPUNIT_ASSERT_MESSAGE(host->logTail(), host->running());
        stopAndExpectCleanExit(*host, SIGTERM, 10s);
    }

    void testSigtermWhileMessagesFlowLosesAndDoublesNothing() {
        signalWhileMessagesFlow(SIGTERM, 5000, false);
    }

    void testSigintBehavesLikeSigterm() {
        {
            OrdersBus bus("MySQL");
            bus.setup();
            auto host = bus.startHost("host");
            std::this_thread::sleep_for(1s);
            CPPUNIT_ASSERT_MESSAGE(host->logTail(), host->running());
            stopAndExpectCleanExit(*host, SIGINT, 10s);
        }
        signalWhileMessagesFlow(SIGINT, 1000, true);
    }

    void testSighupWithUnchangedConfigLoadsGenerationTwo() {
        OrdersBus bus("MySQL");
        bus.setup();
        auto host = bus.startHost("host");
        host->signal(SIGHUP);
        const bool reloaded = waitUntil(
            [&] {
                return host->logContains("reload: plugin generation 2 is live") ||
                       host->logContains("reload failed") || !host->running();
            },
            20s);
        CPPUNIT_ASSERT_MESSAGE("the host ended on SIGHUP\n" + host->logTail(), host->running());
        CPPUNIT_ASSERT_MESSAGE(
            "no 'reload: plugin generation 2 is live' within 20 s\n" + host->logTail(),
            reloaded && host->logContains("reload: plugin generation 2 is live"));
        // Generation 2 handles messages.
        bus.publishOrder("after-reload-1");
        const bool processed = waitUntil([&] { return projected(bus, "after-reload-1"); }, 30s);
        CPPUNIT_ASSERT_MESSAGE("not processed after the reload: " + bus.counts().toString() + "\n" +
                                   host->logTail(),
                               processed);
        CPPUNIT_ASSERT_MESSAGE(host->logTail(), host->running());
        stopAndExpectCleanExit(*host, SIGTERM, 10s);
        const auto c = bus.counts();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(c.toString(), 0LL, c.outbox + c.retryRows + c.failedRows);
    }

    void testSighupWithInvalidConfigKeepsRunningAndProcessing() {
        OrdersBus bus("MySQL");
        bus.setup();
        auto host = bus.startHost("host");
        bus.publishOrder("before-reload-1");
        const bool before = waitUntil([&] { return projected(bus, "before-reload-1"); }, 30s);
        CPPUNIT_ASSERT_MESSAGE(bus.counts().toString() + "\n" + host->logTail(), before);

        bus.properties()["plugin.orders.library"] = "liborders-handlers-does-not-exist.so";
        bus.writeConfig();
        host->signal(SIGHUP);
        const bool failed =
            waitUntil([&] { return host->logContains("reload failed") || !host->running(); }, 20s);
        CPPUNIT_ASSERT_MESSAGE("the host ended on a failed reload\n" + host->logTail(),
                               host->running());
        CPPUNIT_ASSERT_MESSAGE("no 'reload failed' within 20 s\n" + host->logTail(), failed);
        CPPUNIT_ASSERT_MESSAGE("a new generation went live from a broken file\n" + host->logTail(),
                               !host->logContains("is live"));

        // The running generation stays: new messages are relayed, handled and confirmed.
        bus.publishOrder("after-failed-reload-1");
        bus.publishOrder("after-failed-reload-2");
        const bool after = waitUntil(
            [&] {
                return projected(bus, "after-failed-reload-1") &&
                       projected(bus, "after-failed-reload-2");
            },
            30s);
        CPPUNIT_ASSERT_MESSAGE("not processed after the failed reload: " + bus.counts().toString() +
                                   "\n" + host->logTail(),
                               after);
        CPPUNIT_ASSERT_MESSAGE(host->logTail(), host->running());
        stopAndExpectCleanExit(*host, SIGTERM, 10s);
        const auto c = bus.counts();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(c.toString(), 3LL, c.projected);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(c.toString(), 3LL, c.confirmations);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(c.toString(), 0LL, c.outbox + c.retryRows + c.failedRows);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SignalsTest);
