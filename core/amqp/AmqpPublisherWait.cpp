// AmqpPublisher::awaitOrWake: the confirm wait a caller can cut short (kept apart from the
// publishing code in AmqpPublisher.cpp).
#include "core/amqp/AmqpPublisher.h"

#include "core/amqp/AmqpError.h"

#include <poll.h>

#include <algorithm>

namespace msgbus::core::amqp {

namespace {

using Clock = std::chrono::steady_clock;

/// poll()'s timeout for the time left until deadline, rounded up: a wait rounded down to 0 ms
/// would spin until the deadline.
int pollMillis(Clock::time_point deadline) {
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero())
        return 0;
    const auto millis = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return static_cast<int>(std::min<std::int64_t>(millis, 60'000));
}

} // namespace

bool AmqpPublisher::awaitOrWake(BatchId id, int wakeFd) {
    auto found = _batches.find(id);
    if (found == _batches.end())
        throw InvalidArgument("AmqpPublisher: batch " + std::to_string(id) +
                              " is not in flight (awaited already?)");
    const Clock::time_point deadline = found->second.deadline;
    try {
        while (_connection && _tracker.unsettledCount(id) > 0 && Clock::now() < deadline) {
            amqp_connection_state_t state = _connection->state();
            // Frames rabbitmq-c holds already are read without waiting.
            if (!amqp_frames_enqueued(state) && !amqp_data_in_buffer(state)) {
                pollfd fds[2] = {{amqp_get_sockfd(state), POLLIN, 0}, {wakeFd, POLLIN, 0}};
                // An interrupted or failed poll only ends this turn early.
                ::poll(fds, 2, pollMillis(deadline));
                if (fds[1].revents & POLLIN)
                    return false;
                if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
            }
            readFrame(timeval{0, 0}, "waiting for publisher confirms");
        }
    } catch (const AmqpError& e) {
        // As await() does: the published ones are settled by handleFailure, the rest here.
        handleFailure(e);
        _tracker.failUnsettled(id, e.what());
    } catch (...) {
        // Unexpected: a late ack could be matched to the wrong message, so the connection goes;
        // await() reports what is left as not confirmed.
        teardown();
    }
    return true;
}

} // namespace msgbus::core::amqp
