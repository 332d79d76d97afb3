#include "msgbus/internal/DoorbellWire.h"

#include "msgbus/Error.h"

#include <arpa/inet.h>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <netinet/in.h>
#include <sys/un.h>

namespace msgbus {
namespace {

// The version is part of the prefix: a later format gets a new one, which older hosts ignore
// (rings are hints, so mixing versions costs only the early wake-up).
constexpr std::string_view kRingPrefix = "msgbus-ring 1 ";

[[noreturn]] void refuse(const std::string& what, const std::string& text, const std::string& why) {
    throw InvalidArgument((what.empty() ? "" : what + ": ") + "'" + text.substr(0, 120) + "' " +
                          why +
                          " (expected udp://A.B.C.D:PORT, udp://localhost:PORT or unix:/path, "
                          "or empty for off)");
}

DoorbellAddress parseUdp(const std::string& text, const std::string& what) {
    const std::string rest = text.substr(6);
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0)
        refuse(what, text, "has no host:port");
    std::string host = rest.substr(0, colon);
    const std::string portText = rest.substr(colon + 1);
    if (host == "localhost")
        host = "127.0.0.1";
    if (portText.empty() || portText.size() > 5 ||
        portText.find_first_not_of("0123456789") != std::string::npos)
        refuse(what, text, "has no valid port");
    const long port = std::stol(portText);
    if (port < 1 || port > 65535)
        refuse(what, text, "has a port outside 1-65535");
    DoorbellAddress address;
    address.kind = DoorbellAddress::Kind::Udp;
    address.text = text;
    auto* in = reinterpret_cast<sockaddr_in*>(&address.socket);
    in->sin_family = AF_INET;
    in->sin_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET, host.c_str(), &in->sin_addr) != 1)
        refuse(what, text, "has no IPv4 address (names other than localhost are not resolved)");
    address.length = sizeof(sockaddr_in);
    const std::uint32_t ip = ntohl(in->sin_addr.s_addr);
    address.broadcast = (ip & 0xffu) == 0xffu;
    return address;
}

DoorbellAddress parseUnix(const std::string& text, const std::string& what) {
    const std::string path = text.substr(5);
    DoorbellAddress address;
    address.kind = DoorbellAddress::Kind::Unix;
    address.text = text;
    auto* un = reinterpret_cast<sockaddr_un*>(&address.socket);
    if (path.empty() || path.front() != '/')
        refuse(what, text, "needs an absolute socket path");
    if (path.size() >= sizeof(un->sun_path))
        refuse(what, text,
               "has a path longer than " + std::to_string(sizeof(un->sun_path) - 1) + " bytes");
    if (path.find('\0') != std::string::npos)
        refuse(what, text, "has a NUL byte in its path");
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, path.data(), path.size());
    address.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
    return address;
}

} // namespace

DoorbellAddress DoorbellAddress::parse(const std::string& text, const std::string& what) {
    if (text.rfind("udp://", 0) == 0)
        return parseUdp(text, what);
    if (text.rfind("unix:", 0) == 0)
        return parseUnix(text, what);
    refuse(what, text, "has an unknown scheme");
}

std::size_t writeDoorbellRing(std::string_view table, char* out, std::size_t capacity) noexcept {
    const std::size_t length = kRingPrefix.size() + table.size();
    if (length > capacity)
        return 0;
    std::memcpy(out, kRingPrefix.data(), kRingPrefix.size());
    std::memcpy(out + kRingPrefix.size(), table.data(), table.size());
    return length;
}

std::string doorbellRing(std::string_view table) {
    std::string ring(kRingPrefix);
    ring += table;
    return ring;
}

bool isDoorbellRingFor(std::string_view datagram, std::string_view table) noexcept {
    return datagram.size() == kRingPrefix.size() + table.size() &&
           datagram.substr(0, kRingPrefix.size()) == kRingPrefix &&
           datagram.substr(kRingPrefix.size()) == table;
}

} // namespace msgbus
