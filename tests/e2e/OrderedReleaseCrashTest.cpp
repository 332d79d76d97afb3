// kill -9 of `msgbus run` while it releases a long parked sequence of an ordered consumer
// (MariaDB): the host is killed several times in the middle of the release and started again;
// in the end every message of the key has run exactly once, in publish order, and the other
// key's messages ran at once.
#include "core/config/Settings.h"
#include "support/FlakyBus.h"
#include "support/HostProcess.h"
#include "support/TestEnv.h"

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

using namespace msgbus;
using namespace msgbus::test;
using namespace Poco::Data::Keywords;
using namespace std::chrono_literals;

class OrderedReleaseCrashTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OrderedReleaseCrashTest);
    CPPUNIT_TEST(testKill9DuringReleaseKeepsEveryMessageOnceAndInOrder);
    CPPUNIT_TEST_SUITE_END();

    static constexpr int kParked = 400;

    struct Bus : FlakyBus {
        Bus()
            : FlakyBus("orderedcrash", "MySQL",
                       {{"inbox.consumer.flaky.ordered", "true"},
                        {"retry.delay_ms", "20"},
                        {"retry.multiplier", "1"},
                        {"outbox.workers", "1"}},
                       true) {}

        int parked() { return count("SELECT COUNT(*) FROM " + settings.dedupTable + "_parked"); }
        bool settled() {
            return parked() == 0 &&
                   count("SELECT COUNT(*) FROM " + settings.dedupTable + "_sequences") == 0 &&
                   count("SELECT COUNT(*) FROM " + settings.failedTable) == 0;
        }
    };

    /// Polls cond every few ms until it holds or timeout passes; returns whether it held.
    static bool waitUntil(const std::function<bool()>& cond, std::chrono::seconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!cond()) {
            if (std::chrono::steady_clock::now() > deadline)
                return false;
            std::this_thread::sleep_for(5ms);
        }
        return true;
    }

public:
    void testKill9DuringReleaseKeepsEveryMessageOnceAndInOrder() {
        Bus bus;
        // K-1 fails its first attempt: K-2 … K-401 park behind it; O's messages run at once.
        std::vector<FlakyBus::Flaky> messages{{"K-1", 1, std::string("K")}};
        for (int i = 2; i <= kParked + 1; ++i) {
            messages.push_back({"K-" + std::to_string(i), 0, std::string("K")});
            if (i % 20 == 0)
                messages.push_back({"O-" + std::to_string(i / 20), 0, std::string("O")});
        }
        bus.sendFlaky(messages);
        bus.consume(messages.size());
        CPPUNIT_ASSERT_EQUAL(kParked, bus.parked());

        const std::string dir = tempDir("orderedcrash");
        const std::string config = bus.writeConfig(dir);
        int kills = 0;
        // Each host is killed once the release has moved on by some messages, until the
        // sequence is done; a host that finishes first is simply stopped.
        for (int round = 0; round < 8 && !bus.settled(); ++round) {
            HostProcess host(HostProcess::msgbusRun(config),
                             dir + "/host" + std::to_string(round) + ".log");
            const int before = bus.parked();
            const bool moved =
                waitUntil([&] { return bus.parked() <= before - 30 || bus.settled(); }, 120s);
            CPPUNIT_ASSERT_MESSAGE("the release did not move on: " + host.logTail(), moved);
            if (bus.settled()) {
                host.signal(SIGTERM);
                host.waitExit(30s);
                break;
            }
            const auto status = host.kill9();
            CPPUNIT_ASSERT_EQUAL_MESSAGE(host.logTail(), SIGKILL, status.signal);
            ++kills;
        }
        if (!bus.settled()) {
            HostProcess host(HostProcess::msgbusRun(config), dir + "/final.log");
            CPPUNIT_ASSERT_MESSAGE(host.logTail(), waitUntil([&] { return bus.settled(); }, 180s));
            host.signal(SIGTERM);
            host.waitExit(30s);
        }
        std::cout << "\n  " << kills << " kill -9s during the release of " << kParked
                  << " parked messages" << std::flush;
        CPPUNIT_ASSERT(kills >= 1);

        // Every message once, each key in publish order.
        auto session = bus.database->session();
        std::vector<std::string> keys;
        *session << "SELECT k FROM flaky_effects ORDER BY n", into(keys), now;
        CPPUNIT_ASSERT_EQUAL(messages.size(), keys.size());
        int lastK = 0, lastO = 0;
        for (const auto& k : keys) {
            const int n = std::stoi(k.substr(2));
            int& last = k[0] == 'K' ? lastK : lastO;
            CPPUNIT_ASSERT_MESSAGE(k + " ran after " + std::to_string(last), n == last + 1);
            last = n;
        }
        CPPUNIT_ASSERT_EQUAL(kParked + 1, lastK);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OrderedReleaseCrashTest);
