// The operations endpoint stays answerable while local clients misbehave: connections that send
// nothing, or half a request, are dropped after the request read timeout, and /health and /ready
// answer within seconds even when more such clients are connected than the server has threads.
// Was: two threads and Poco's 60 s default let one idle client hold /health and /ready for a
// minute, long enough for a kubelet or a systemd watchdog to restart a healthy host.
#include "core/host/AdminHttpServer.h"
#include "support/HttpProbe.h"

#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace msgbus;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

core::AdminHttpServer::Probes fixedProbes() {
    return {[] { return std::string("# no metrics\n"); },
            [] { return std::string(R"({"status":"ok"})"); },
            [](std::string& reason) {
                reason = "probe";
                return true;
            }};
}

Poco::Net::StreamSocket connectTo(int port) {
    Poco::Net::StreamSocket socket;
    socket.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
    return socket;
}

void sendText(Poco::Net::StreamSocket& socket, const std::string& text) {
    socket.sendBytes(text.data(), static_cast<int>(text.size()));
}

struct Received {
    std::string text;
    bool closedByServer = false; ///< end of stream or reset, as opposed to our own wait ending
    std::chrono::milliseconds after{0};
};

/// Reads until the server closes the connection or `limit` passes.
Received readUntilClosed(Poco::Net::StreamSocket& socket, std::chrono::milliseconds limit) {
    Received received;
    const auto start = Clock::now();
    char buffer[1024];
    while (Clock::now() - start < limit) {
        if (!socket.poll(Poco::Timespan(0, 100 * 1000), Poco::Net::Socket::SELECT_READ))
            continue;
        int n = 0;
        try {
            n = socket.receiveBytes(buffer, sizeof buffer);
        } catch (const Poco::Net::ConnectionResetException&) {
            n = 0;
        }
        if (n <= 0) {
            received.closedByServer = true;
            break;
        }
        received.text.append(buffer, static_cast<std::size_t>(n));
    }
    received.after = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    return received;
}

std::string millis(std::chrono::milliseconds d) {
    return std::to_string(d.count()) + " ms";
}

} // namespace

class AdminEndpointTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AdminEndpointTest);
    CPPUNIT_TEST(testHealthAndReadyAnswerWhileMoreIdleClientsThanThreadsAreConnected);
    CPPUNIT_TEST(testServerClosesAnIdleConnectionAfterTheReadTimeout);
    CPPUNIT_TEST(testStalledPartialRequestGetsRequestTimeoutAndIsClosed);
    CPPUNIT_TEST(testRequestSentInPiecesWithinTheTimeoutIsServed);
    CPPUNIT_TEST_SUITE_END();

    const std::chrono::milliseconds _readTimeout = core::AdminHttpServer::kRequestReadTimeout;

public:
    void testHealthAndReadyAnswerWhileMoreIdleClientsThanThreadsAreConnected() {
        core::AdminHttpServer server(0, fixedProbes());
        std::vector<Poco::Net::StreamSocket> idle;
        for (int i = 0; i < 20; ++i)
            idle.push_back(connectTo(server.port()));
        Poco::Net::StreamSocket partial = connectTo(server.port());
        sendText(partial, "GET /ready HTTP/1.1\r\nHo");
        std::this_thread::sleep_for(100ms); // all of them accepted and queued ahead of the probes

        for (const std::string path : {"/health", "/ready"}) {
            const auto start = Clock::now();
            test::HttpReply reply = test::httpGet(server.port(), path, 15s);
            const auto took =
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path + ": " + reply.body, 200, reply.status);
            // A behavioural bound (a probe's patience), not a benchmark.
            CPPUNIT_ASSERT_MESSAGE(path + " took " + millis(took), took < 5s);
        }
    }

    void testServerClosesAnIdleConnectionAfterTheReadTimeout() {
        core::AdminHttpServer server(0, fixedProbes());
        Poco::Net::StreamSocket socket = connectTo(server.port());
        Received received = readUntilClosed(socket, 15s);
        CPPUNIT_ASSERT_MESSAGE("still open after " + millis(received.after),
                               received.closedByServer);
        CPPUNIT_ASSERT_MESSAGE("no reply to an empty request: " + received.text,
                               received.text.empty());
        // Closed by the timeout, not at once, and not much later.
        CPPUNIT_ASSERT_MESSAGE(millis(received.after), received.after >= _readTimeout - 200ms);
        CPPUNIT_ASSERT_MESSAGE(millis(received.after), received.after < _readTimeout + 2s);
    }

    void testStalledPartialRequestGetsRequestTimeoutAndIsClosed() {
        core::AdminHttpServer server(0, fixedProbes());
        Poco::Net::StreamSocket socket = connectTo(server.port());
        sendText(socket, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        Received received = readUntilClosed(socket, 15s);
        CPPUNIT_ASSERT_MESSAGE("still open after " + millis(received.after),
                               received.closedByServer);
        CPPUNIT_ASSERT_MESSAGE(received.text, received.text.rfind("HTTP/1.1 408", 0) == 0);
        CPPUNIT_ASSERT_MESSAGE(millis(received.after), received.after >= _readTimeout - 200ms);
        CPPUNIT_ASSERT_MESSAGE(millis(received.after), received.after < _readTimeout + 2s);
    }

    void testRequestSentInPiecesWithinTheTimeoutIsServed() {
        core::AdminHttpServer server(0, fixedProbes());
        Poco::Net::StreamSocket socket = connectTo(server.port());
        sendText(socket, "GET /health HT");
        std::this_thread::sleep_for(_readTimeout / 4);
        sendText(socket, "TP/1.1\r\nHost: 127.0.0.1\r\n");
        std::this_thread::sleep_for(_readTimeout / 4);
        sendText(socket, "\r\n");
        Received received = readUntilClosed(socket, 15s);
        CPPUNIT_ASSERT_MESSAGE(received.text, received.text.rfind("HTTP/1.1 200", 0) == 0);
        CPPUNIT_ASSERT_MESSAGE(received.text,
                               received.text.find(R"({"status":"ok"})") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE("the server keeps the connection after its one answer",
                               received.closedByServer);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AdminEndpointTest);
