#pragma once

#include <cstdint>
#include <string>

namespace msgbus::core::amqp {

/// What became of one published message.
enum class PublishResult {
    /// The broker took responsibility (basic.ack) and the message was routed to a queue.
    Confirmed,
    /// Permanent for this message as it stands: no queue is bound for its routing key
    /// (basic.return, then ack), its exchange does not exist, or it cannot be encoded (a
    /// header value outside its kind's range, a name over 255 bytes, headers above
    /// frame_max). Retry in place with backoff, then move to the failed table.
    Unroutable,
    /// The broker refused it (basic.nack: queue overflow with reject-publish, internal
    /// error). Transient: republish.
    Nacked,
    /// Unknown: the channel or connection failed, or no confirm came in time. The broker may
    /// or may not have it; republish (consumers dedupe by message id: at-least-once).
    NotConfirmed,
};

/// The outcome of one message handed to the publisher; error explains every result but
/// Confirmed.
struct PublishOutcome {
    /// The caller's handle of the message (OutgoingMessage::token), echoed unchanged.
    std::uint64_t token = 0;
    PublishResult result = PublishResult::NotConfirmed;
    std::string error;
    /// NotConfirmed because the broker closed the channel while the message was unconfirmed,
    /// with this reply code (403 ACCESS_REFUSED, 406 PRECONDITION_FAILED for a message over
    /// max_message_size, ...): the message itself may be what the broker refused, or another
    /// one of the same channel. 0 otherwise.
    std::uint16_t channelReplyCode = 0;
};

} // namespace msgbus::core::amqp
