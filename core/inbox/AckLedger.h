#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace msgbus::core {

/// Which deliveries of one broker connection are still unsettled, and which lane of a consumer
/// holds each, so that several batches in flight can be acked without one covering another.
///
/// Why: basic.ack with "multiple" settles every unsettled delivery up to its tag. A lane that
/// finished its batch must not ack that way over another lane's deliveries still running (a
/// crash then would lose them), and acking a tag the broker no longer holds closes the
/// channel. The ledger turns "settle these tags" into the fewest frames that settle exactly
/// them: one "multiple" frame for the lowest run of unsettled tags they cover whole, one frame
/// per tag for the rest.
///
/// Not thread-safe: the broker connection's thread owns it.
class AckLedger {
public:
    /// One basic.ack or basic.nack to send.
    struct Frame {
        std::uint64_t tag = 0;
        bool multiple = false;
        bool operator==(const Frame&) const = default;
    };

    /// The broker sent tag (tags rise within a connection) to lane.
    void received(std::uint64_t tag, unsigned lane);

    /// lane's unsettled tags up to upTo when multiple, else upTo alone if lane holds it.
    std::vector<std::uint64_t> tagsOf(unsigned lane, std::uint64_t upTo, bool multiple) const;

    /// Marks tags settled (unknown ones are ignored) and returns the frames that settle them.
    std::vector<Frame> settle(const std::vector<std::uint64_t>& tags);

    /// Deliveries lane holds unsettled (queued or running).
    std::size_t unsettled(unsigned lane) const;
    /// Deliveries unsettled on all lanes.
    std::size_t unsettled() const noexcept { return _lanes.size(); }

    /// A new connection: the old one's tags are void (the broker took those deliveries back).
    void reset();

private:
    std::map<std::uint64_t, unsigned> _lanes; ///< unsettled tag -> lane
    std::vector<std::size_t> _perLane;
};

} // namespace msgbus::core
