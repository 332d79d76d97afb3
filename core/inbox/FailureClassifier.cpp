#include "core/inbox/FailureClassifier.h"

#include "core/db/DbErrors.h"
#include "core/inbox/TransactionLost.h"
#include "core/util/ErrorText.h"

#include <msgbus/Error.h>

namespace msgbus::core {

Failure FailureClassifier::undecodable(const std::string& reason) {
    return {"UndecodableDelivery", reason, false};
}

Failure FailureClassifier::ofDecoding(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const MalformedMessage& e) {
        return {"MalformedMessage", e.what(), false};
    } catch (const InvalidArgument& e) {
        return {"MalformedMessage", e.what(), false};
    } catch (const std::exception& e) {
        // Retried, never looped on the broker: a serializer that fails for a moment (a schema
        // registry away) must not fail the message for good.
        return {"DecodeError", errorText(e), true};
    } catch (...) {
        return {"DecodeError", "unknown exception from the serializer", true};
    }
}

Failure FailureClassifier::unknownName(const std::string& consumer, const std::string& name) {
    return {"UnknownMessageName",
            "no handler of consumer '" + consumer + "' takes message name '" + name + "'", false};
}

Failure FailureClassifier::ofHandler(const std::string& handlerName,
                                     const std::exception_ptr& error) {
    const std::string who = handlerName + ": ";
    try {
        std::rethrow_exception(error);
    } catch (const MalformedMessage& e) {
        return {"MalformedMessage", who + e.what(), false};
    } catch (const std::exception& e) {
        return {"HandlerFailed", who + errorText(e), true};
    } catch (...) {
        return {"HandlerFailed", who + "unknown exception", true};
    }
}

Failure FailureClassifier::ofAloneRun(const std::exception& error) {
    if (isLockConflict(error) || dynamic_cast<const TransactionLost*>(&error))
        // Its transaction was lost while it ran alone: maybe its handler's doing, maybe bad
        // luck. Retried later like a handler failure.
        return {"TransactionFailed", errorText(error), true};
    // This message alone makes the database refuse our statements: it is the guilty one.
    return {"StorageFailed", "the database refused to record this message: " + errorText(error),
            false};
}

Failure FailureClassifier::ofLostStatement(const std::string& error) {
    return {"HandlerFailed", error, true};
}

bool FailureClassifier::isDatabaseGone(const std::exception& error) noexcept {
    return isConnectionLost(error);
}

bool FailureClassifier::abortsBatch(const std::exception& error) noexcept {
    return isConnectionLost(error) || isLockConflict(error);
}

} // namespace msgbus::core
