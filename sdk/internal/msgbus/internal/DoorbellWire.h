#pragma once

/// Host helper, not part of the plugin contract (never installed): what the SDK's Doorbell and
/// the host's listener must agree on byte for byte, the address syntax and the datagram.

#include "msgbus/Export.h"

#include <cstddef>
#include <string>
#include <string_view>

#include <sys/socket.h>

namespace msgbus {

/// Where rings go: `udp://A.B.C.D:PORT` (an IPv4 address, or `localhost`) or `unix:/path` (a
/// Unix datagram socket).
struct MSGBUS_API DoorbellAddress {
    enum class Kind { Udp, Unix };

    Kind kind = Kind::Udp;
    sockaddr_storage socket{};
    socklen_t length = 0;
    /// UDP to a broadcast address (127.255.255.255, 255.255.255.255, or one ending in .255):
    /// every socket bound to it hears every datagram, so several hosts share it.
    bool broadcast = false;
    /// As configured, for messages (it holds no secret).
    std::string text;

    /// Throws InvalidArgument naming what (unless empty) and the expected forms.
    static DoorbellAddress parse(const std::string& text, const std::string& what);
};

/// Room for any ring: its prefix and a table name (at most 64 characters).
constexpr std::size_t kDoorbellRingCapacity = 96;

/// Writes the datagram that rings the relays of the outbox table table into out; returns its
/// length, or 0 when it does not fit capacity. No allocation: it runs after the application's
/// commit.
MSGBUS_API std::size_t writeDoorbellRing(std::string_view table, char* out,
                                         std::size_t capacity) noexcept;

/// The same datagram as a string.
MSGBUS_API std::string doorbellRing(std::string_view table);

/// True when datagram is a ring for table: anything else (another table's ring, garbage) is
/// not one.
MSGBUS_API bool isDoorbellRingFor(std::string_view datagram, std::string_view table) noexcept;

} // namespace msgbus
