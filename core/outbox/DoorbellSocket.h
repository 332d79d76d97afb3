#pragma once

#include <msgbus/internal/DoorbellWire.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace msgbus::core {

/// The host's end of the doorbell: a non-blocking datagram socket bound to outbox.doorbell.
/// Owns the descriptor (and, for a Unix socket, its path, removed again when it closes).
///
/// UDP: a broadcast address (the default 127.255.255.255) is bound with SO_REUSEADDR, so every
/// host on the machine binds it and each hears every ring; a unicast address belongs to one
/// host (a second one is refused: it would silently take the first one's rings). Unix: a stale
/// socket file left by a host that died is replaced, a live host's is refused, and anything
/// that is not a socket is left alone (refused). The receive buffer is kept small: under a
/// flood the kernel drops what does not fit instead of the host reading it all.
///
/// The constructor throws msgbus::Error naming the address and the reason. Used by one thread.
class DoorbellSocket {
public:
    explicit DoorbellSocket(const std::string& address);
    ~DoorbellSocket();
    DoorbellSocket(const DoorbellSocket&) = delete;
    DoorbellSocket& operator=(const DoorbellSocket&) = delete;

    int fd() const noexcept { return _fd; }
    /// The next queued datagram (an empty view when it was longer than size), or nothing when
    /// none is queued.
    std::optional<std::string_view> receive(char* buffer, std::size_t size) noexcept;

private:
    void bindUdp();
    void bindUnix();

    DoorbellAddress _address;
    int _fd = -1;
    bool _ownsPath = false;
};

} // namespace msgbus::core
