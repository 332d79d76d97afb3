#pragma once

#include "msgbus/Export.h"

#include <memory>
#include <string>

namespace msgbus {

/// Rings the outbox relays of the msgbus hosts after a commit, so that they publish the new rows
/// at once instead of at their next poll (outbox.poll_interval_ms).
///
/// A ring is one datagram sent without waiting (MSG_DONTWAIT) to the address the hosts listen on
/// (their outbox.doorbell): `udp://A.B.C.D:PORT`, `udp://localhost:PORT` or `unix:/path`. The
/// default, udp://127.255.255.255:5673, is the loopback broadcast address: every host on this
/// machine that listens there (every host by default) hears every ring, however many there are.
/// A ring is only a hint: nobody listening, a full socket buffer or a lost datagram cost nothing
/// but the early wake-up, since the relays still poll.
///
/// The constructor opens the socket and throws InvalidArgument for a malformed address; ring()
/// never throws and never blocks. An empty address makes a doorbell that never rings (off).
/// Thread-safe: one doorbell can serve every thread of a process.
class MSGBUS_API Doorbell {
public:
    /// Where the hosts listen unless outbox.doorbell says otherwise.
    static constexpr const char* kDefaultAddress = "udp://127.255.255.255:5673";

    explicit Doorbell(const std::string& address = kDefaultAddress);
    ~Doorbell();
    Doorbell(const Doorbell&) = delete;
    Doorbell& operator=(const Doorbell&) = delete;

    /// Rings the relays of the outbox table table (hosts with another outbox.table ignore it).
    /// At most one non-blocking sendto; failures are ignored.
    void ring(const std::string& table = "messenger_outbox") const noexcept;

    /// The address as given ("" when off).
    const std::string& address() const noexcept;

    /// The process's doorbell at kDefaultAddress, opened on first use: what OutboxWriter::notify()
    /// rings when its options name no doorbell.
    static std::shared_ptr<const Doorbell> standard();

private:
    struct Target;
    std::unique_ptr<Target> _target;
};

} // namespace msgbus
