// Doorbell (SDK): the ring an application sends after its commit. Addresses are checked where
// they enter; a ring never throws and never blocks, whoever listens or not.
#include <msgbus/Doorbell.h>
#include <msgbus/Error.h>
#include <msgbus/internal/DoorbellWire.h>

#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using msgbus::Doorbell;
using msgbus::DoorbellAddress;

namespace {

/// A datagram socket for the test's end, closed with it.
struct TestSocket {
    int fd;
    explicit TestSocket(int family) : fd(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
    ~TestSocket() { ::close(fd); }
    TestSocket(const TestSocket&) = delete;
    TestSocket& operator=(const TestSocket&) = delete;

    /// The next datagram, without waiting ("" when none is queued).
    std::string take() const {
        char buffer[256];
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        return n < 0 ? std::string() : std::string(buffer, static_cast<std::size_t>(n));
    }
};

/// A UDP socket on 127.0.0.1 and a port the kernel chose; returns the port.
int bindLoopback(const TestSocket& socket) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CPPUNIT_ASSERT_EQUAL(0,
                         ::bind(socket.fd, reinterpret_cast<sockaddr*>(&address), sizeof address));
    socklen_t length = sizeof address;
    ::getsockname(socket.fd, reinterpret_cast<sockaddr*>(&address), &length);
    return ntohs(address.sin_port);
}

/// A UDP port nobody listens on (free a moment ago).
int freeUdpPort() {
    TestSocket socket(AF_INET);
    return bindLoopback(socket);
}

std::string tempSocketPath(const std::string& name) {
    return (std::filesystem::temp_directory_path() /
            (name + "-" + std::to_string(::getpid()) + ".sock"))
        .string();
}

void bindUnix(const TestSocket& socket, const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path.copy(address.sun_path, sizeof address.sun_path - 1);
    ::unlink(path.c_str());
    CPPUNIT_ASSERT_EQUAL(0,
                         ::bind(socket.fd, reinterpret_cast<sockaddr*>(&address), sizeof address));
}

void assertRefused(const std::string& address, const std::string& why) {
    try {
        DoorbellAddress::parse(address, "outbox.doorbell");
        CPPUNIT_FAIL("accepted: " + address);
    } catch (const msgbus::InvalidArgument& e) {
        const std::string text = e.what();
        CPPUNIT_ASSERT_MESSAGE(text, text.find("outbox.doorbell") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(text, text.find(why) != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(text, text.find("udp://A.B.C.D:PORT") != std::string::npos);
    }
}

} // namespace

class DoorbellTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DoorbellTest);
    CPPUNIT_TEST(testUdpAndUnixAddressesParse);
    CPPUNIT_TEST(testMalformedAddressesAreRefusedNamingWhatAndWhy);
    CPPUNIT_TEST(testARingIsForItsTableOnly);
    CPPUNIT_TEST(testARingArrivesAsOneDatagramNamingTheTable);
    CPPUNIT_TEST(testRingWithNobodyListeningNeitherThrowsNorBlocks);
    CPPUNIT_TEST(testRingIntoAFullUnixSocketDoesNotBlock);
    CPPUNIT_TEST(testEmptyAddressIsADoorbellThatNeverRings);
    CPPUNIT_TEST_SUITE_END();

public:
    void testUdpAndUnixAddressesParse() {
        auto unicast = DoorbellAddress::parse("udp://127.0.0.1:5673", "k");
        CPPUNIT_ASSERT(unicast.kind == DoorbellAddress::Kind::Udp);
        CPPUNIT_ASSERT(!unicast.broadcast);
        const auto* in = reinterpret_cast<const sockaddr_in*>(&unicast.socket);
        CPPUNIT_ASSERT_EQUAL(5673, static_cast<int>(ntohs(in->sin_port)));
        CPPUNIT_ASSERT_EQUAL(htonl(INADDR_LOOPBACK), in->sin_addr.s_addr);

        CPPUNIT_ASSERT(DoorbellAddress::parse(Doorbell::kDefaultAddress, "k").broadcast);
        auto local = DoorbellAddress::parse("udp://localhost:1", "k");
        CPPUNIT_ASSERT_EQUAL(htonl(INADDR_LOOPBACK),
                             reinterpret_cast<const sockaddr_in*>(&local.socket)->sin_addr.s_addr);

        auto unix = DoorbellAddress::parse("unix:/run/msgbus/doorbell.sock", "k");
        CPPUNIT_ASSERT(unix.kind == DoorbellAddress::Kind::Unix);
        CPPUNIT_ASSERT_EQUAL(
            std::string("/run/msgbus/doorbell.sock"),
            std::string(reinterpret_cast<const sockaddr_un*>(&unix.socket)->sun_path));
        CPPUNIT_ASSERT_EQUAL(std::string("unix:/run/msgbus/doorbell.sock"), unix.text);
    }

    void testMalformedAddressesAreRefusedNamingWhatAndWhy() {
        assertRefused("tcp://127.0.0.1:5673", "unknown scheme");
        assertRefused("127.0.0.1:5673", "unknown scheme");
        assertRefused("udp://127.0.0.1", "no host:port");
        assertRefused("udp://127.0.0.1:", "no valid port");
        assertRefused("udp://127.0.0.1:0", "outside 1-65535");
        assertRefused("udp://127.0.0.1:65536", "outside 1-65535");
        assertRefused("udp://bus.example.org:5673", "no IPv4 address");
        assertRefused("udp://[::1]:5673", "no IPv4 address");
        assertRefused("unix:relative.sock", "absolute");
        assertRefused("unix:/" + std::string(200, 'x'), "longer than");
        CPPUNIT_ASSERT_THROW(Doorbell("udp://nowhere:1"), msgbus::InvalidArgument);
    }

    void testARingIsForItsTableOnly() {
        const std::string ring = msgbus::doorbellRing("orders_outbox");
        CPPUNIT_ASSERT(msgbus::isDoorbellRingFor(ring, "orders_outbox"));
        CPPUNIT_ASSERT(!msgbus::isDoorbellRingFor(ring, "orders_outbox2"));
        CPPUNIT_ASSERT(!msgbus::isDoorbellRingFor(ring, "orders"));
        CPPUNIT_ASSERT(!msgbus::isDoorbellRingFor(ring + "x", "orders_outbox"));
        CPPUNIT_ASSERT(!msgbus::isDoorbellRingFor("", "orders_outbox"));
        CPPUNIT_ASSERT(!msgbus::isDoorbellRingFor("orders_outbox", "orders_outbox"));
        CPPUNIT_ASSERT(!msgbus::isDoorbellRingFor("msgbus-ring 2 orders_outbox", "orders_outbox"));
        char buffer[msgbus::kDoorbellRingCapacity];
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), msgbus::writeDoorbellRing(std::string(200, 't'),
                                                                       buffer, sizeof buffer));
    }

    void testARingArrivesAsOneDatagramNamingTheTable() {
        TestSocket listener(AF_INET);
        const int port = bindLoopback(listener);
        Doorbell doorbell("udp://127.0.0.1:" + std::to_string(port));
        doorbell.ring("orders_outbox");
        timeval wait{10, 0};
        ::setsockopt(listener.fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
        char buffer[256];
        const ssize_t n = ::recv(listener.fd, buffer, sizeof buffer, 0);
        CPPUNIT_ASSERT(n > 0);
        CPPUNIT_ASSERT_EQUAL(msgbus::doorbellRing("orders_outbox"),
                             std::string(buffer, static_cast<std::size_t>(n)));
    }

    void testRingWithNobodyListeningNeitherThrowsNorBlocks() {
        Doorbell udp("udp://127.0.0.1:" + std::to_string(freeUdpPort()));
        Doorbell broadcast("udp://127.255.255.255:" + std::to_string(freeUdpPort()));
        Doorbell unix("unix:" + tempSocketPath("msgbus-doorbell-nobody"));
        for (int i = 0; i < 1000; ++i) {
            udp.ring();
            broadcast.ring();
            unix.ring();
        }
    }

    void testRingIntoAFullUnixSocketDoesNotBlock() {
        // A Unix datagram socket blocks a sender whose reader is behind: a doorbell that did so
        // would hang here, the reader never reads.
        const std::string path = tempSocketPath("msgbus-doorbell-full");
        TestSocket reader(AF_UNIX);
        bindUnix(reader, path);
        Doorbell doorbell("unix:" + path);
        for (int i = 0; i < 20000; ++i)
            doorbell.ring("t");
        CPPUNIT_ASSERT_EQUAL(msgbus::doorbellRing("t"), reader.take());
        ::unlink(path.c_str());
    }

    void testEmptyAddressIsADoorbellThatNeverRings() {
        Doorbell off("");
        CPPUNIT_ASSERT_EQUAL(std::string(), off.address());
        off.ring();
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DoorbellTest);
