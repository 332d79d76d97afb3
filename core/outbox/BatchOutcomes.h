#pragma once

#include "core/amqp/PublishOutcome.h"
#include "core/outbox/OutboxStore.h"
#include "core/outbox/RowFailure.h"

#include <cstdint>
#include <vector>

namespace msgbus::core {

/// What the broker's answers mean for the rows of one batch.
struct BatchOutcomes {
    std::vector<std::int64_t> confirmed; ///< seqs: delete (or keep as delivered)
    std::vector<RowFailure> failures;    ///< an attempt each (unroutable, refused alone)
    /// NotConfirmed under a channel the broker closed: one of them (or a neighbour) is what it
    /// refused; publish them one at a time to find out.
    std::vector<std::size_t> suspects;
    /// Something is unknown (a lost connection, a timeout, every message nacked): the rows stay
    /// without an attempt and go out again after a backoff.
    bool transient = false;
};

/// Sorts a batch's publish outcomes (token = row index). A nack of every message is the
/// broker pushing back (a queue at its reject-publish limit, a quorum queue without a leader):
/// transient. Nacks among acks single out rows the broker refuses: they count attempts, so one
/// that is refused every time ends in the failed table instead of being published for ever.
/// Pure.
BatchOutcomes sortOutcomes(const std::vector<OutboxRow>& rows,
                           const std::vector<amqp::PublishOutcome>& outcomes);

/// Adds the outcome of a suspect published alone (row index) to sorted: alone on the channel,
/// a nack or a channel closed under it is about this message, so either is an attempt of its
/// own; NotConfirmed without a channel reply stays unknown (transient). Pure.
void sortAloneOutcome(const OutboxRow& row, std::size_t index, const amqp::PublishOutcome& outcome,
                      BatchOutcomes& sorted);

} // namespace msgbus::core
