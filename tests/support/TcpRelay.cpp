#include "support/TcpRelay.h"

#include "support/TestEnv.h"

#include <msgbus/Error.h>

#include <arpa/inet.h>
#include <cstdio>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <regex>

namespace msgbus::test {

namespace {

sockaddr_in addressOf(const std::string& host, int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1)
        throw Error("TcpRelay: not an IPv4 address: " + host);
    return address;
}

} // namespace

TcpRelay::TcpRelay(std::string targetHost, int targetPort)
    : _host(std::move(targetHost)), _targetPort(targetPort) {
    listen();
    _thread = std::thread([this] { loop(); });
}

TcpRelay::~TcpRelay() {
    _running = false;
    _thread.join();
    std::lock_guard lock(_mutex);
    closeAll();
}

void TcpRelay::listen() {
    std::lock_guard lock(_mutex);
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in address = addressOf("127.0.0.1", _port);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd, 64) != 0) {
        ::close(fd);
        throw Error("TcpRelay: cannot listen on port " + std::to_string(_port) + ": " +
                    std::strerror(errno));
    }
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    _port = ntohs(address.sin_port);
    _listener = fd;
}

void TcpRelay::cut() {
    std::lock_guard lock(_mutex);
    closeAll();
    ++_generation;
}

void TcpRelay::restore() {
    listen();
}

std::string TcpRelay::through(const std::string& connection) const {
    std::string out = std::regex_replace(connection, std::regex("host=[^;]*"), "host=127.0.0.1");
    return std::regex_replace(out, std::regex("port=[0-9]*"), "port=" + std::to_string(_port));
}

void TcpRelay::closeAll() {
    if (_listener >= 0)
        ::close(_listener);
    _listener = -1;
    _readers.clear();
    for (auto [client, server] : _pairs) {
        ::shutdown(client, SHUT_RDWR);
        ::close(client);
        ::close(server);
    }
    _pairs.clear();
}

void TcpRelay::MysqlCommandReader::feed(const char* data, std::size_t size,
                                        std::map<int, int>& commands) {
    while (size > 0) {
        if (unread > 0) {
            const std::size_t skipped = std::min(unread, size);
            unread -= skipped;
            data += skipped;
            size -= skipped;
            continue;
        }
        header.push_back(*data++);
        --size;
        if (header.size() < 4)
            continue;
        const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(header[i]); };
        const std::size_t length = byte(0) | (byte(1) << 8) | (byte(2) << 16);
        if (header.size() == 4 && length > 0)
            continue; // the command byte is next
        if (byte(3) == 0 && length > 0)
            ++commands[byte(4)];
        unread = length - (header.size() - 4);
        header.clear();
    }
}

int TcpRelay::mysqlRoundTrips() {
    std::lock_guard lock(_mutex);
    int total = 0;
    for (auto [command, count] : _mysqlCommands)
        // COM_STMT_SEND_LONG_DATA and COM_STMT_CLOSE get no reply.
        if (command != 0x18 && command != 0x19)
            total += count;
    return total;
}

std::map<int, int> TcpRelay::mysqlCommands() {
    std::lock_guard lock(_mutex);
    return _mysqlCommands;
}

std::string TcpRelay::describeMysqlCommands() {
    std::string out;
    for (auto [command, count] : mysqlCommands()) {
        char hex[8];
        std::snprintf(hex, sizeof hex, " 0x%02x", command);
        out += hex + (":" + std::to_string(count));
    }
    return out;
}

void TcpRelay::resetMysqlCommands() {
    std::lock_guard lock(_mutex);
    _mysqlCommands.clear();
}

bool TcpRelay::pump(int from, int to, MysqlCommandReader* reader) {
    char buffer[65536];
    const ssize_t n = ::read(from, buffer, sizeof buffer);
    if (n <= 0)
        return false;
    if (reader)
        reader->feed(buffer, static_cast<std::size_t>(n), _mysqlCommands);
    for (ssize_t sent = 0; sent < n;) {
        const ssize_t w =
            ::send(to, buffer + sent, static_cast<std::size_t>(n - sent), MSG_NOSIGNAL);
        if (w <= 0)
            return false;
        sent += w;
    }
    return true;
}

void TcpRelay::loop() {
    while (_running) {
        std::vector<pollfd> fds;
        unsigned generation = 0;
        {
            std::lock_guard lock(_mutex);
            generation = _generation;
            fds.push_back({_listener, POLLIN, 0});
            const bool held = _holdReplies;
            for (auto [client, server] : _pairs) {
                fds.push_back({client, POLLIN, 0});
                fds.push_back({held ? -1 : server, POLLIN, 0}); // poll() skips a negative fd
            }
        }
        ::poll(fds.data(), fds.size(), 50);
        std::lock_guard lock(_mutex);
        if (generation != _generation)
            continue; // cut meanwhile: the descriptors polled are closed
        std::vector<std::pair<int, int>> alive;
        for (std::size_t i = 0; i < _pairs.size(); ++i) {
            auto [client, server] = _pairs[i];
            const bool ok =
                (!(fds[1 + 2 * i].revents) || pump(client, server, &_readers[client])) &&
                (!(fds[2 + 2 * i].revents) || pump(server, client, nullptr));
            if (ok) {
                alive.push_back(_pairs[i]);
            } else {
                _readers.erase(client);
                ::close(client);
                ::close(server);
            }
        }
        _pairs = std::move(alive);
        if (_listener >= 0 && (fds[0].revents & POLLIN)) {
            int client = ::accept(_listener, nullptr, nullptr);
            int server = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in target = addressOf(_host, _targetPort);
            if (client >= 0 &&
                ::connect(server, reinterpret_cast<sockaddr*>(&target), sizeof target) == 0) {
                _pairs.emplace_back(client, server);
            } else {
                if (client >= 0)
                    ::close(client);
                ::close(server);
            }
        }
    }
}

TcpRelay relayToMariaDb() {
    std::smatch host, port;
    const std::string connection = mysqlConnection();
    std::regex_search(connection, host, std::regex("host=([^;]*)"));
    std::regex_search(connection, port, std::regex("port=([0-9]+)"));
    return TcpRelay(host[1].str() == "localhost" ? "127.0.0.1" : host[1].str(),
                    port.empty() ? 3306 : std::stoi(port[1].str()));
}

} // namespace msgbus::test
