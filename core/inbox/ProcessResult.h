#pragma once

namespace msgbus::core {

/// What became of one message.
enum class ProcessResult {
    Handled,        ///< the handler ran and committed with the dedup row
    Duplicate,      ///< the dedup row existed: nothing ran
    Retry,          ///< the handler failed: a retry row was written
    Failed,         ///< permanent: a failed row was written
    Parked,         ///< its key waits behind a failed head (ordered consumer): stored with its
                    ///< dedup row in the parked table, to run when the head is resolved
    Requeue,        ///< nothing could be committed for it (the database went away meanwhile): the
                    ///< caller gives it back to the broker and backs off; not the message's fault
    RequeueSuspect, ///< nothing could be stored for it, not even a failed row, while its
                    ///< neighbours were: given back, and counted as its own redelivery
};

/// Nothing of the message was committed: it goes back to the broker instead of being acked.
inline bool isGivenBack(ProcessResult result) noexcept {
    return result == ProcessResult::Requeue || result == ProcessResult::RequeueSuspect;
}

} // namespace msgbus::core
