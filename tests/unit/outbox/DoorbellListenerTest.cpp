// DoorbellListener and DoorbellSocket: rings wake the relays, anything else is ignored, many
// queued rings cost one wake-up, several hosts share the broadcast address, and a unicast
// address or a live Unix socket is never taken from another host.
#include "core/outbox/DoorbellListener.h"
#include "core/outbox/DoorbellSocket.h"
#include "support/LoopbackUdp.h"

#include <msgbus/Doorbell.h>
#include <msgbus/Error.h>
#include <msgbus/internal/DoorbellWire.h>

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using msgbus::Doorbell;
using msgbus::core::DoorbellListener;
using msgbus::core::DoorbellSocket;
using msgbus::core::Metrics;
using msgbus::core::RelayWakeup;
using msgbus::test::freeUdpPort;
using namespace std::chrono_literals;

namespace {

const std::string kTable = "doorbell_test_outbox";

/// Polls predicate until it holds or a generous deadline passes (the listener is a thread of
/// its own, scheduled whenever the loaded machine lets it).
bool eventually(const std::function<bool()>& predicate) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (predicate())
            return true;
        std::this_thread::sleep_for(2ms);
    }
    return predicate();
}

std::string tempPath(const std::string& name) {
    return (std::filesystem::temp_directory_path() /
            (name + "-" + std::to_string(::getpid()) + ".sock"))
        .string();
}

/// Sends datagram as is to address (what a stranger on the machine could send); returns
/// whether the kernel took it.
bool sendRaw(const std::string& address, const std::string& datagram) {
    const auto to = msgbus::DoorbellAddress::parse(address, "test");
    const int fd = ::socket(to.kind == msgbus::DoorbellAddress::Kind::Udp ? AF_INET : AF_UNIX,
                            SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const ssize_t n = ::sendto(fd, datagram.data(), datagram.size(), MSG_DONTWAIT,
                               reinterpret_cast<const sockaddr*>(&to.socket), to.length);
    ::close(fd);
    return n == static_cast<ssize_t>(datagram.size());
}

/// A listener of its own on address, with its own relays' wake-up and counters.
struct Host {
    RelayWakeup wakeup;
    Metrics metrics;
    std::unique_ptr<DoorbellListener> listener;

    explicit Host(const std::string& address)
        : listener(std::make_unique<DoorbellListener>(std::make_unique<DoorbellSocket>(address),
                                                      kTable, wakeup, metrics)) {}
};

void assertRefusedWith(const std::string& address, const std::string& why) {
    try {
        DoorbellSocket second(address);
        CPPUNIT_FAIL("bound a second time: " + address);
    } catch (const msgbus::Error& e) {
        const std::string text = e.what();
        CPPUNIT_ASSERT_MESSAGE(text, text.find(address) != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(text, text.find(why) != std::string::npos);
    }
}

} // namespace

class DoorbellListenerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DoorbellListenerTest);
    CPPUNIT_TEST(testARingWakesTheRelays);
    CPPUNIT_TEST(testGarbageAndOtherTablesRingsAreIgnored);
    CPPUNIT_TEST(testManyQueuedRingsCostOneWakeUp);
    CPPUNIT_TEST(testEveryHostOnTheBroadcastAddressHearsARing);
    CPPUNIT_TEST(testAUnicastAddressBelongsToOneHost);
    CPPUNIT_TEST(testAStaleUnixSocketIsReplacedALiveOneAndAFileAreNot);
    CPPUNIT_TEST_SUITE_END();

public:
    void testARingWakesTheRelays() {
        const std::string address = "udp://127.0.0.1:" + std::to_string(freeUdpPort());
        Host host(address);
        const auto before = host.wakeup.epoch();
        Doorbell(address).ring(kTable);
        CPPUNIT_ASSERT(eventually([&] { return host.wakeup.epoch() != before; }));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), host.metrics.doorbellRings.load());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), host.metrics.doorbellWakeups.load());
    }

    void testGarbageAndOtherTablesRingsAreIgnored() {
        const std::string address = "udp://127.0.0.1:" + std::to_string(freeUdpPort());
        Host host(address);
        const auto before = host.wakeup.epoch();
        const std::vector<std::string> strangers{
            "",
            "hello",
            std::string(2000, '\xff'),
            msgbus::doorbellRing("another_outbox"),
            "msgbus-ring 2 " + kTable,
            msgbus::doorbellRing(kTable) + std::string(200, ' '),
        };
        for (const auto& datagram : strangers)
            CPPUNIT_ASSERT(sendRaw(address, datagram));
        CPPUNIT_ASSERT(
            eventually([&] { return host.metrics.doorbellIgnored.load() == strangers.size(); }));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), host.metrics.doorbellRings.load());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), host.metrics.doorbellWakeups.load());
        CPPUNIT_ASSERT_EQUAL(before, host.wakeup.epoch());

        // And a ring after them is still heard.
        Doorbell(address).ring(kTable);
        CPPUNIT_ASSERT(eventually([&] { return host.wakeup.epoch() != before; }));
    }

    void testManyQueuedRingsCostOneWakeUp() {
        // A Unix socket takes each datagram into its queue inside sendto(), so every ring
        // below is waiting when the listener starts: it reads them in one turn.
        const std::string address = "unix:" + tempPath("msgbus-doorbell-many");
        auto socket = std::make_unique<DoorbellSocket>(address);
        std::uint64_t sent = 0;
        for (int i = 0; i < DoorbellListener::kMaxPerTurn / 2; ++i)
            sent += sendRaw(address, msgbus::doorbellRing(kTable)) ? 1 : 0;
        CPPUNIT_ASSERT(sent > 1);
        RelayWakeup wakeup;
        Metrics metrics;
        const auto before = wakeup.epoch();
        DoorbellListener listener(std::move(socket), kTable, wakeup, metrics);
        CPPUNIT_ASSERT(eventually([&] { return metrics.doorbellRings.load() == sent; }));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), metrics.doorbellWakeups.load());
        CPPUNIT_ASSERT_EQUAL(before + 1, wakeup.epoch());
    }

    void testEveryHostOnTheBroadcastAddressHearsARing() {
        const std::string address = "udp://127.255.255.255:" + std::to_string(freeUdpPort());
        Host first(address);
        Host second(address);
        const auto firstBefore = first.wakeup.epoch();
        const auto secondBefore = second.wakeup.epoch();
        Doorbell(address).ring(kTable);
        CPPUNIT_ASSERT(eventually([&] {
            return first.wakeup.epoch() != firstBefore && second.wakeup.epoch() != secondBefore;
        }));
    }

    void testAUnicastAddressBelongsToOneHost() {
        const std::string address = "udp://127.0.0.1:" + std::to_string(freeUdpPort());
        DoorbellSocket first(address);
        assertRefusedWith(address, "127.255.255.255");
    }

    void testAStaleUnixSocketIsReplacedALiveOneAndAFileAreNot() {
        const std::string path = tempPath("msgbus-doorbell-stale");
        const std::string address = "unix:" + path;
        {
            // A host that died leaves its socket file behind.
            const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            const auto to = msgbus::DoorbellAddress::parse(address, "test");
            ::unlink(path.c_str());
            CPPUNIT_ASSERT_EQUAL(
                0, ::bind(fd, reinterpret_cast<const sockaddr*>(&to.socket), to.length));
            ::close(fd);
        }
        {
            DoorbellSocket live(address);
            assertRefusedWith(address, "another process");
        }
        CPPUNIT_ASSERT_MESSAGE("the socket file outlived its host", !std::filesystem::exists(path));

        std::ofstream(path) << "not a socket";
        assertRefusedWith(address, "is not a socket");
        CPPUNIT_ASSERT(std::filesystem::is_regular_file(path));
        std::filesystem::remove(path);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DoorbellListenerTest);
