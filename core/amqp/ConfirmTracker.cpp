#include "core/amqp/ConfirmTracker.h"

#include <msgbus/Error.h>

#include <algorithm>
#include <iterator>
#include <utility>

namespace msgbus::core::amqp {

namespace {

void requireIndex(std::size_t size, ConfirmTracker::BatchId id, std::size_t index) {
    if (index >= size)
        throw InvalidArgument("ConfirmTracker: batch " + std::to_string(id) + " has no message " +
                              std::to_string(index) + " (it has " + std::to_string(size) + ")");
}

} // namespace

ConfirmTracker::BatchId ConfirmTracker::addBatch(const std::vector<std::uint64_t>& tokens) {
    const BatchId id = _nextBatchId++;
    Batch& batch = _batches[id];
    const std::size_t n = tokens.size();
    batch.outcomes.resize(n);
    for (std::size_t i = 0; i < n; ++i)
        batch.outcomes[i].token = tokens[i];
    batch.settled.assign(n, 0);
    batch.returned.assign(n, 0);
    batch.unsettled = n;
    return id;
}

std::vector<PublishOutcome> ConfirmTracker::take(BatchId id) {
    Batch& batch = batchOf(id);
    // Pending entries refer to their batch by id: none may outlive it, or a late confirm of
    // one would look for a batch that is gone.
    if (batch.unsettled > 0)
        forgetPendingOf(id);
    std::vector<PublishOutcome> outcomes = std::move(batch.outcomes);
    _batches.erase(id);
    return outcomes;
}

void ConfirmTracker::settle(BatchId id, std::size_t index, PublishResult result,
                            std::string error) {
    Batch& batch = batchOf(id);
    requireIndex(batch.outcomes.size(), id, index);
    finish(batch, index, result, std::move(error));
}

ConfirmTracker::DeliveryTag ConfirmTracker::published(BatchId id, std::size_t index,
                                                      std::string correlationKey) {
    Batch& batch = batchOf(id);
    requireIndex(batch.outcomes.size(), id, index);
    if (batch.settled[index])
        throw InvalidArgument("ConfirmTracker: message " + std::to_string(index) + " of batch " +
                              std::to_string(id) + " is settled; it cannot be published");
    const DeliveryTag tag = ++_lastDeliveryTag;
    if (!correlationKey.empty())
        _tagsByKey[correlationKey].push_back(tag);
    _unconfirmed.emplace(tag, Pending{id, index, std::move(correlationKey)});
    return tag;
}

void ConfirmTracker::acked(DeliveryTag tag, bool multiple) {
    confirm(tag, multiple, true, {});
}

void ConfirmTracker::nacked(DeliveryTag tag, bool multiple, const std::string& error) {
    confirm(tag, multiple, false, error);
}

void ConfirmTracker::confirm(DeliveryTag tag, bool multiple, bool ack,
                             const std::string& nackError) {
    auto first = multiple ? _unconfirmed.begin() : _unconfirmed.find(tag);
    if (first == _unconfirmed.end())
        return; // settled already, or failed meanwhile: nothing to do
    auto last = multiple ? _unconfirmed.upper_bound(tag) : std::next(first);
    for (auto it = first; it != last; ++it) {
        const Pending& pending = it->second;
        unindex(it->first, pending);
        Batch& batch = batchOf(pending.batch);
        if (ack)
            finishReturnedOr(batch, pending.index, PublishResult::Confirmed, {});
        else
            finish(batch, pending.index, PublishResult::Nacked, nackError);
    }
    _unconfirmed.erase(first, last);
}

bool ConfirmTracker::returned(const std::string& correlationKey, std::string error) {
    auto it = correlationKey.empty() ? _tagsByKey.end() : _tagsByKey.find(correlationKey);
    if (it == _tagsByKey.end())
        return false;
    // Ids are meant to be unique. When several messages in flight share one, the oldest not
    // returned yet is taken: the broker returns in publish order, but an older one may have
    // been routed and not acked yet, so the match can then be the wrong one of them.
    for (DeliveryTag tag : it->second) {
        auto pending = _unconfirmed.find(tag);
        if (pending == _unconfirmed.end())
            continue;
        Batch& batch = batchOf(pending->second.batch);
        const std::size_t index = pending->second.index;
        if (!batch.returned[index]) {
            batch.returned[index] = 1;
            batch.outcomes[index].error = std::move(error);
            return true;
        }
    }
    return false;
}

void ConfirmTracker::failUnconfirmed(const std::string& reason,
                                     std::uint16_t channelReplyCode) noexcept {
    // Confirms are per channel: with the channel or connection gone, nothing published on it
    // will ever be confirmed.
    try {
        for (auto& [tag, pending] : _unconfirmed) {
            Batch& batch = batchOf(pending.batch);
            const std::size_t index = pending.index;
            if (batch.settled[index])
                continue;
            finishReturnedOr(batch, index, PublishResult::NotConfirmed, reason);
            if (!batch.returned[index])
                batch.outcomes[index].channelReplyCode = channelReplyCode;
        }
    } catch (...) {
        // Only string allocation can throw here; the owner of the batches fails what is left
        // unsettled (failUnsettled) before taking them.
    }
    _unconfirmed.clear();
    _tagsByKey.clear();
}

void ConfirmTracker::restartChannel(const std::string& reason) noexcept {
    failUnconfirmed(reason);
    _lastDeliveryTag = 0;
}

void ConfirmTracker::failUnsettled(BatchId id, const std::string& reason) {
    Batch& batch = batchOf(id);
    forgetPendingOf(id);
    for (std::size_t i = 0; i < batch.outcomes.size(); ++i)
        finishReturnedOr(batch, i, PublishResult::NotConfirmed, reason);
}

bool ConfirmTracker::isSettled(BatchId id, std::size_t index) const {
    const Batch& batch = batchOf(id);
    requireIndex(batch.settled.size(), id, index);
    return batch.settled[index] != 0;
}

std::size_t ConfirmTracker::unsettledCount(BatchId id) const {
    return batchOf(id).unsettled;
}

ConfirmTracker::Batch& ConfirmTracker::batchOf(BatchId id) {
    return const_cast<Batch&>(std::as_const(*this).batchOf(id));
}

const ConfirmTracker::Batch& ConfirmTracker::batchOf(BatchId id) const {
    auto it = _batches.find(id);
    if (it == _batches.end())
        throw InvalidArgument("ConfirmTracker: batch " + std::to_string(id) + " is not tracked");
    return it->second;
}

void ConfirmTracker::finish(Batch& batch, std::size_t index, PublishResult result,
                            std::string error) {
    if (batch.settled[index])
        return;
    batch.outcomes[index].result = result;
    batch.outcomes[index].error = std::move(error);
    batch.settled[index] = 1;
    --batch.unsettled;
}

void ConfirmTracker::finishReturnedOr(Batch& batch, std::size_t index, PublishResult result,
                                      const std::string& error) {
    // A returned message was certainly not routed, whatever else became of its channel; its
    // error is the return's.
    if (batch.returned[index])
        finish(batch, index, PublishResult::Unroutable, batch.outcomes[index].error);
    else
        finish(batch, index, result, error);
}

void ConfirmTracker::unindex(DeliveryTag tag, const Pending& pending) {
    if (pending.correlationKey.empty())
        return;
    auto it = _tagsByKey.find(pending.correlationKey);
    if (it == _tagsByKey.end())
        return;
    std::vector<DeliveryTag>& tags = it->second;
    tags.erase(std::remove(tags.begin(), tags.end(), tag), tags.end());
    if (tags.empty())
        _tagsByKey.erase(it);
}

void ConfirmTracker::forgetPendingOf(BatchId id) {
    for (auto it = _unconfirmed.begin(); it != _unconfirmed.end();) {
        if (it->second.batch == id) {
            unindex(it->first, it->second);
            it = _unconfirmed.erase(it);
        } else {
            ++it;
        }
    }
}

} // namespace msgbus::core::amqp
