#include "core/host/AdminConnection.h"

#include "core/host/AdminListenSocket.h"

#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/TCPServerConnection.h>

#include <algorithm>
#include <string>
#include <thread>

#include <sys/socket.h>

namespace msgbus::core {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

// Probes and scrapers send a few hundred bytes; a head that does not fit here is none of theirs.
constexpr int kMaxRequestHead = 8192;
// How often a waiting connection looks at the stop flag.
constexpr milliseconds kPollSlice{100};
// The pause between two looks at a partial head: the socket stays readable while bytes are
// buffered, so poll() cannot wait for more of them.
constexpr milliseconds kTricklePause{10};

enum class Arrival { Complete, Nothing, Partial, TooLarge, Closed, Stopping };

Poco::Timespan timespanOf(Clock::duration d) {
    return Poco::Timespan(
        duration_cast<microseconds>(std::max(d, Clock::duration::zero())).count());
}

/// Waits until the request head is buffered, the deadline passes, the client goes or the server
/// stops. Peeks only: Poco's parser reads the bytes afterwards. Throws Poco::Exception when the
/// connection fails.
Arrival waitForHead(Poco::Net::StreamSocket& socket, Clock::time_point deadline,
                    const std::atomic<bool>& stopping) {
    char peeked[kMaxRequestHead];
    int seen = 0;
    while (!stopping) {
        // Looked at even past the deadline: a request that waited in the queue, complete, is
        // served; only the clients that did not send it in time lose.
        const auto wait = std::min<Clock::duration>(deadline - Clock::now(), kPollSlice);
        if (socket.poll(timespanOf(wait), Poco::Net::Socket::SELECT_READ)) {
            seen = socket.receiveBytes(peeked, sizeof peeked, MSG_PEEK);
            if (seen <= 0)
                return Arrival::Closed;
            if (requestHeadComplete({peeked, static_cast<std::size_t>(seen)}))
                return Arrival::Complete;
            if (seen == sizeof peeked)
                return Arrival::TooLarge;
        }
        const auto now = Clock::now();
        if (now >= deadline)
            return seen > 0 ? Arrival::Partial : Arrival::Nothing;
        if (seen > 0)
            std::this_thread::sleep_for(std::min<Clock::duration>(kTricklePause, deadline - now));
    }
    return Arrival::Stopping;
}

/// Reads away what the client sent, so that closing sends FIN and not RST (which could make
/// the client lose the answer before it reads it).
void discardBuffered(Poco::Net::StreamSocket& socket) {
    char sink[kMaxRequestHead];
    for (int total = 0;
         total < 8 * kMaxRequestHead && socket.poll(0, Poco::Net::Socket::SELECT_READ);) {
        const int n = socket.receiveBytes(sink, sizeof sink);
        if (n <= 0)
            return;
        total += n;
    }
}

/// A plain-text error answer, then the connection ends. A client gone meanwhile is not an error.
void answerAndClose(Poco::Net::StreamSocket& socket, const std::string& status,
                    const std::string& why) {
    const std::string body = why + "\n";
    const std::string text = "HTTP/1.1 " + status +
                             "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    try {
        discardBuffered(socket);
        socket.sendBytes(text.data(), static_cast<int>(text.size()));
        socket.shutdownSend();
    } catch (const Poco::Exception&) {
    }
}

class AdminConnection : public Poco::Net::TCPServerConnection {
public:
    AdminConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                    Poco::Net::HTTPRequestHandlerFactory::Ptr handlers, milliseconds readTimeout,
                    const std::atomic<bool>& stopping)
        : Poco::Net::TCPServerConnection(socket), _params(std::move(params)),
          _handlers(std::move(handlers)), _readTimeout(readTimeout), _stopping(stopping) {}

    void run() override {
        // A client that does not read its answer cannot hold the thread either.
        socket().setSendTimeout(timespanOf(_readTimeout));
        const auto deadline =
            AdminListenSocket::acceptedAt(socket()).value_or(Clock::now()) + _readTimeout;
        Arrival arrival = Arrival::Closed;
        try {
            arrival = waitForHead(socket(), deadline, _stopping);
        } catch (const Poco::Exception&) {
            return; // reset by the client: nobody to answer
        }
        switch (arrival) {
        case Arrival::Complete: {
            Poco::Net::HTTPServerConnection http(socket(), _params, _handlers);
            http.run();
            return;
        }
        case Arrival::Partial:
            answerAndClose(socket(), "408 Request Timeout",
                           "the request did not arrive within " +
                               std::to_string(_readTimeout.count()) + " ms");
            return;
        case Arrival::TooLarge:
            answerAndClose(socket(), "431 Request Header Fields Too Large",
                           "the request head is over " + std::to_string(kMaxRequestHead) +
                               " bytes");
            return;
        default:
            return; // nothing sent, the client gone, or the server stopping: close, no answer
        }
    }

private:
    Poco::Net::HTTPServerParams::Ptr _params;
    Poco::Net::HTTPRequestHandlerFactory::Ptr _handlers;
    milliseconds _readTimeout;
    const std::atomic<bool>& _stopping;
};

} // namespace

bool requestHeadComplete(std::string_view received) noexcept {
    for (auto eol = received.find('\n'); eol != std::string_view::npos;
         eol = received.find('\n', eol + 1)) {
        const std::string_view next = received.substr(eol + 1, 2);
        if (next.substr(0, 1) == "\n" || next == "\r\n")
            return true;
    }
    return false;
}

AdminConnectionFactory::AdminConnectionFactory(Poco::Net::HTTPServerParams::Ptr params,
                                               Poco::Net::HTTPRequestHandlerFactory::Ptr handlers,
                                               milliseconds readTimeout)
    : _params(std::move(params)), _handlers(std::move(handlers)), _readTimeout(readTimeout) {}

Poco::Net::TCPServerConnection*
AdminConnectionFactory::createConnection(const Poco::Net::StreamSocket& socket) {
    return new AdminConnection(socket, _params, _handlers, _readTimeout, _stopping);
}

} // namespace msgbus::core
