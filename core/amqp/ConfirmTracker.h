#pragma once

#include "core/amqp/PublishOutcome.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace msgbus::core::amqp {

/// The publisher-confirm bookkeeping of one confirm-mode channel, without any I/O: which
/// message each delivery tag stands for, which messages the broker returned, and the outcome
/// of every message of every batch until its owner takes it. AmqpPublisher feeds it what it
/// writes (published) and what it reads (acked, nacked, returned, the loss of the channel),
/// so that the rules below can be tested without a broker.
///
/// Threading: none. It belongs to its publisher's thread, as the channel does.
///
/// Ownership: owns the outcomes of its batches until take(); a batch's messages stay with the
/// caller, which refers to them by batch id and index (their position in the batch).
///
/// Delivery tags are counted here as the broker counts them on a confirm channel: 1 for the
/// first message published after construction or restartChannel(), then one more per
/// message. The caller must report every basic.publish written on the channel, and only
/// those, and restart only once the old channel can send nothing more, or acks would settle
/// the wrong messages.
///
/// Outcomes: each message is settled once; the first outcome stands and later ones for it are
/// ignored. A returned message is Unroutable when its ack (or the loss of its channel) comes,
/// a nacked one is Nacked even when returned before. Confirms of tags not awaited (settled
/// already, or failed while their channel lived on) are ignored.
///
/// Failure: a batch id that is not tracked, an index outside its batch or a settled message
/// reported published throws msgbus::InvalidArgument (a bug of the caller); nothing else
/// throws but std::bad_alloc.
class ConfirmTracker {
public:
    /// A batch of messages whose outcomes are collected together.
    using BatchId = std::uint64_t;
    /// The broker's number of a message published on a confirm channel.
    using DeliveryTag = std::uint64_t;

    ConfirmTracker() = default;
    ConfirmTracker(const ConfirmTracker&) = delete;
    ConfirmTracker& operator=(const ConfirmTracker&) = delete;

    /// Tracks a new batch of tokens.size() messages, all unsettled, whose outcomes carry these
    /// tokens in this order. Ids are never reused.
    BatchId addBatch(const std::vector<std::uint64_t>& tokens);

    /// Removes the batch and returns its outcomes, in batch order. Messages still unsettled
    /// come back NotConfirmed with an empty error; if they were published, their tags are
    /// forgotten and later confirms of them ignored (the caller fails batches before taking
    /// them: see failUnsettled()).
    std::vector<PublishOutcome> take(BatchId id);

    /// Settles a message that will not be published (it cannot be encoded, its exchange does
    /// not exist). Ignored when the message is settled already.
    void settle(BatchId id, std::size_t index, PublishResult result, std::string error);

    /// Records that the message was just written with basic.publish on the confirm channel,
    /// and returns the delivery tag the broker gives it. correlationKey is what a basic.return
    /// of it will carry (message id), "" when none: such a message cannot be matched to its
    /// return. Throws InvalidArgument when the message is settled already.
    DeliveryTag published(BatchId id, std::size_t index, std::string correlationKey);

    /// basic.ack: the message of tag (with multiple, every unconfirmed message up to tag) is
    /// Confirmed, or Unroutable with the return's error when it was returned.
    void acked(DeliveryTag tag, bool multiple);

    /// basic.nack: the message of tag (with multiple, every unconfirmed message up to tag) is
    /// Nacked with error.
    void nacked(DeliveryTag tag, bool multiple, const std::string& error);

    /// basic.return, which carries no delivery tag: marks the oldest unconfirmed message with
    /// correlationKey that was not returned yet, so that its ack means Unroutable with error.
    /// False when no such message is in flight (the return cannot be matched; its message will
    /// be reported Confirmed).
    bool returned(const std::string& correlationKey, std::string error);

    /// The channel or connection is gone, and with it every confirm still due: each
    /// unconfirmed message becomes NotConfirmed with reason and channelReplyCode, except the
    /// returned ones, which are Unroutable (they were certainly not routed). Tags keep
    /// counting: call restartChannel() before publishing on a new channel.
    void failUnconfirmed(const std::string& reason, std::uint16_t channelReplyCode = 0) noexcept;

    /// A new confirm channel: failUnconfirmed(reason), and the next published message gets
    /// tag 1.
    void restartChannel(const std::string& reason) noexcept;

    /// Settles every unsettled message of the batch, published or not: NotConfirmed with
    /// reason, or Unroutable when returned. Its later confirms are ignored.
    void failUnsettled(BatchId id, const std::string& reason);

    bool hasBatch(BatchId id) const noexcept { return _batches.count(id) != 0; }
    std::size_t batchCount() const noexcept { return _batches.size(); }
    bool isSettled(BatchId id, std::size_t index) const;
    /// Messages of the batch without an outcome yet (published or not).
    std::size_t unsettledCount(BatchId id) const;
    /// Published messages awaiting their confirm, over all batches: the confirm window's fill.
    std::size_t unconfirmedCount() const noexcept { return _unconfirmed.size(); }
    /// The tag of the last message published on the current channel, 0 before the first.
    DeliveryTag lastDeliveryTag() const noexcept { return _lastDeliveryTag; }

private:
    struct Batch {
        std::vector<PublishOutcome> outcomes;
        /// An outcome is final.
        std::vector<char> settled;
        /// A basic.return named the message; its ack will then mean Unroutable.
        std::vector<char> returned;
        std::size_t unsettled = 0;
    };
    /// A published message awaiting its confirm.
    struct Pending {
        BatchId batch;
        std::size_t index;
        std::string correlationKey;
    };

    Batch& batchOf(BatchId id);
    const Batch& batchOf(BatchId id) const;
    void finish(Batch& batch, std::size_t index, PublishResult result, std::string error);
    void finishReturnedOr(Batch& batch, std::size_t index, PublishResult result,
                          const std::string& error);
    void confirm(DeliveryTag tag, bool multiple, bool ack, const std::string& nackError);
    void unindex(DeliveryTag tag, const Pending& pending);
    void forgetPendingOf(BatchId id);

    std::map<BatchId, Batch> _batches;
    BatchId _nextBatchId = 1;
    DeliveryTag _lastDeliveryTag = 0;
    /// Delivery tag -> message, for every published message not settled yet.
    std::map<DeliveryTag, Pending> _unconfirmed;
    /// Correlation key -> tags of its unconfirmed messages, oldest first (basic.return has no
    /// tag). Messages without a key are not indexed: nothing could match them.
    std::unordered_map<std::string, std::vector<DeliveryTag>> _tagsByKey;
};

} // namespace msgbus::core::amqp
