#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace msgbus::test {

/// A TCP relay on 127.0.0.1 to one server, for an outage seen by one client only: the shared
/// test server keeps running for everyone else. cut() closes the relay's port and every
/// connection through it (connecting is refused, statements in flight lose their connection);
/// restore() opens the same port again.
///
/// One thread of its own copies the bytes; cut() and restore() may be called from any thread.
class TcpRelay {
public:
    TcpRelay(std::string targetHost, int targetPort);
    ~TcpRelay();
    TcpRelay(const TcpRelay&) = delete;
    TcpRelay& operator=(const TcpRelay&) = delete;

    /// The port clients connect to.
    int port() const noexcept { return _port; }

    void cut();
    void restore();
    /// While held, nothing the server sends reaches the clients (it waits in the kernel); the
    /// clients' bytes still reach the server. Released, it all follows in order.
    void holdReplies(bool held) { _holdReplies = held; }

    /// connection (a MySQL connection string "host=…;port=…;…") through this relay.
    std::string through(const std::string& connection) const;

private:
    void listen();
    void loop();
    /// Copies what is ready on one side to the other; false when the pair ended.
    static bool pump(int from, int to);
    void closeAll();

    std::string _host;
    int _targetPort;
    int _port = 0;
    std::mutex _mutex;
    int _listener = -1;                      ///< guarded by _mutex
    std::vector<std::pair<int, int>> _pairs; ///< client, server; guarded by _mutex
    unsigned _generation = 0;                ///< guarded by _mutex: bumped by cut()
    std::atomic<bool> _running{true};
    std::atomic<bool> _holdReplies{false};
    std::thread _thread;
};

} // namespace msgbus::test
