#pragma once

#include "core/metrics/Metrics.h"
#include "core/outbox/DoorbellSocket.h"
#include "core/outbox/RelayWakeup.h"

#include <memory>
#include <string>
#include <thread>

namespace msgbus::core {

/// Wakes the host's relays when an application rings the doorbell after its commit
/// (msgbus::Doorbell), so that its rows are claimed at once instead of at the next poll.
///
/// A thread of its own reads the socket. A ring for this host's outbox table wakes the relays;
/// any other datagram (garbage, another table's ring, a ring of a later format) is counted and
/// ignored. Every datagram is only a hint: the worst a ring can do is make the relays claim
/// early, and the relays still poll when nobody rings.
///
/// Many rings cost one claim: after reading what is queued (up to kMaxPerTurn datagrams) and
/// waking the relays once, the listener reads nothing for kQuietPeriod, so the relays are woken
/// at most once a millisecond however fast rings come, and rings that arrive meanwhile are read
/// (and answered with one wake-up) right after it. A relay woken while it is busy claims once
/// more when its batch is done (RelayWakeup keeps count). A flood is read at most kMaxPerTurn
/// datagrams a millisecond; the kernel drops what the small receive buffer cannot hold.
///
/// The destructor stops the thread and closes the socket. Counts go to Metrics
/// (msgbus_doorbell_*).
class DoorbellListener {
public:
    /// Datagrams read per turn at most.
    static constexpr int kMaxPerTurn = 64;
    /// The pause after each turn, in milliseconds.
    static constexpr int kQuietPeriodMillis = 1;

    /// Listens on socket (bound already) for rings of table; rings wake wakeup. wakeup and
    /// metrics outlive the listener.
    DoorbellListener(std::unique_ptr<DoorbellSocket> socket, std::string table, RelayWakeup& wakeup,
                     Metrics& metrics);
    ~DoorbellListener();
    DoorbellListener(const DoorbellListener&) = delete;
    DoorbellListener& operator=(const DoorbellListener&) = delete;

private:
    void run();
    /// Reads what is queued; returns false when a stop was requested while waiting.
    bool turn();

    std::unique_ptr<DoorbellSocket> _socket;
    std::string _table;
    RelayWakeup& _wakeup;
    Metrics& _metrics;
    int _stopFd = -1; ///< an eventfd, readable once the destructor asks the thread to end
    std::thread _thread;
};

} // namespace msgbus::core
