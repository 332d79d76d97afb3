#pragma once

#include "core/inbox/Failure.h"

#include <exception>
#include <string>

namespace msgbus::core {

/// Decides, from what was thrown, whose fault a failure is and what becomes of the message:
/// a failed row (permanent: it can never succeed), a retry row (transient: a later attempt
/// may), or neither, the batch going back to the broker (the database is away or the inbox
/// transaction lost a lock conflict: no message is to blame).
///
/// The rule for plugins is the SDK's: only msgbus::MalformedMessage is permanent, anything
/// else a serializer or handler throws is transient. What a handler throws is always that
/// handler's failure, whatever its text: only an exception of the database layer can mean the
/// database is gone (DbErrors.h).
///
/// Pure: no state, no I/O; safe from any thread.
class FailureClassifier {
public:
    /// The transport could not hand the delivery over whole: permanent (the failed row keeps
    /// what arrived).
    static Failure undecodable(const std::string& reason);

    /// What the serializer's decode() (or the checks of its result) threw: MalformedMessage and
    /// InvalidArgument (a bad id or name) are permanent, anything else transient. error must
    /// hold an exception.
    static Failure ofDecoding(const std::exception_ptr& error);

    /// The consumer has no handler for the name: permanent.
    static Failure unknownName(const std::string& consumer, const std::string& name);

    /// What a handler threw (handlerName "plugin/Class"): MalformedMessage is permanent,
    /// anything else transient. error must hold an exception.
    static Failure ofHandler(const std::string& handlerName, const std::exception_ptr& error);

    /// A message that ran alone in its own transaction failed with error, which is not a lost
    /// connection (isDatabaseGone): a lock conflict or a lost transaction may be bad luck
    /// (transient), any other refusal of the database is that message's doing (permanent).
    static Failure ofAloneRun(const std::exception& error);

    /// A handler's statement lost the connection under it (it outlived db.io_timeout_ms, or the
    /// server killed it): the handler ran and is the likely cause, so the attempt counts like
    /// any handler failure (transient). error: what the caller was told (BatchAborted).
    static Failure ofLostStatement(const std::string& error);

    /// The connection to the database is gone: nothing of the transaction can be committed,
    /// and the message that was running is not to blame.
    static bool isDatabaseGone(const std::exception& error) noexcept;

    /// Trouble of the inbox's own session that invalidates the whole transaction (a lost
    /// connection, a deadlock or lock wait timeout): the batch goes back to the broker. A
    /// TransactionLost is not among them: it happens under some handler, and running the
    /// messages alone finds which.
    static bool abortsBatch(const std::exception& error) noexcept;
};

} // namespace msgbus::core
