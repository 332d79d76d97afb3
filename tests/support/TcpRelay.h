#pragma once

#include <atomic>
#include <map>
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

    /// The MySQL protocol commands the clients sent through the relay since the last
    /// resetMysqlCommands(), over all connections, that the server answers: each one a round
    /// trip (a text query, a prepare, an execute, a ping; not a statement close, which gets no
    /// reply). Read from the bytes themselves: the first packet of each command.
    int mysqlRoundTrips();
    /// The same, by command byte (0x03 query, 0x16 prepare, 0x17 execute, 0x0e ping, …).
    std::map<int, int> mysqlCommands();
    /// mysqlCommands() as text for an assertion's message: " 0x03:4 0x16:2" (command byte:
    /// count).
    std::string describeMysqlCommands();
    void resetMysqlCommands();

    /// connection (a MySQL connection string "host=…;port=…;…") through this relay.
    std::string through(const std::string& connection) const;

private:
    void listen();
    void loop();
    /// Finds the commands in what a client sends (a MySQL packet: 3 bytes of length, 1 of
    /// sequence number, the payload; a command is a packet of sequence 0, its first byte the
    /// command).
    struct MysqlCommandReader {
        std::string header;     ///< the first bytes of the packet being read, up to 5
        std::size_t unread = 0; ///< payload bytes of that packet still to come
        void feed(const char* data, std::size_t size, std::map<int, int>& commands);
    };

    /// Copies what is ready on one side to the other; false when the pair ended. Feeds what
    /// it copied to reader when there is one.
    bool pump(int from, int to, MysqlCommandReader* reader);
    void closeAll();

    std::string _host;
    int _targetPort;
    int _port = 0;
    std::mutex _mutex;
    int _listener = -1;                         ///< guarded by _mutex
    std::vector<std::pair<int, int>> _pairs;    ///< client, server; guarded by _mutex
    std::map<int, MysqlCommandReader> _readers; ///< by client; guarded by _mutex
    std::map<int, int> _mysqlCommands;          ///< guarded by _mutex
    unsigned _generation = 0;                   ///< guarded by _mutex: bumped by cut()
    std::atomic<bool> _running{true};
    std::atomic<bool> _holdReplies{false};
    std::thread _thread;
};

/// A relay in front of the test MariaDB (MSGBUS_TEST_MYSQL), to count or cut its traffic.
TcpRelay relayToMariaDb();

} // namespace msgbus::test
