#include "core/outbox/BatchOutcomes.h"

#include <algorithm>

namespace msgbus::core {

BatchOutcomes sortOutcomes(const std::vector<OutboxRow>& rows,
                           const std::vector<amqp::PublishOutcome>& outcomes) {
    BatchOutcomes sorted;
    const bool someAcked =
        std::any_of(outcomes.begin(), outcomes.end(), [](const amqp::PublishOutcome& o) {
            return o.result == amqp::PublishResult::Confirmed ||
                   o.result == amqp::PublishResult::Unroutable;
        });
    for (const auto& outcome : outcomes) {
        const std::size_t index = outcome.token;
        switch (outcome.result) {
        case amqp::PublishResult::Confirmed:
            sorted.confirmed.push_back(rows.at(index).seq);
            break;
        case amqp::PublishResult::Unroutable:
            sorted.failures.push_back({index, outcome.error});
            break;
        case amqp::PublishResult::Nacked:
            if (someAcked)
                sorted.failures.push_back({index, "nacked by the broker: " + outcome.error});
            else
                sorted.transient = true;
            break;
        case amqp::PublishResult::NotConfirmed:
            if (outcome.channelReplyCode != 0)
                sorted.suspects.push_back(index);
            else
                sorted.transient = true;
            break;
        }
    }
    return sorted;
}

void sortAloneOutcome(const OutboxRow& row, std::size_t index, const amqp::PublishOutcome& outcome,
                      BatchOutcomes& sorted) {
    switch (outcome.result) {
    case amqp::PublishResult::Confirmed:
        sorted.confirmed.push_back(row.seq);
        break;
    case amqp::PublishResult::Unroutable:
        sorted.failures.push_back({index, outcome.error});
        break;
    case amqp::PublishResult::Nacked:
        sorted.failures.push_back({index, "nacked by the broker: " + outcome.error});
        break;
    case amqp::PublishResult::NotConfirmed:
        if (outcome.channelReplyCode != 0)
            sorted.failures.push_back({index, "refused by the broker: " + outcome.error});
        else
            sorted.transient = true;
        break;
    }
}

} // namespace msgbus::core
