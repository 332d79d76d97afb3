#pragma once

#include <Poco/Data/Session.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace msgbus::core {

/// Why an operator's change left a row of the failed table as it was.
enum class Refusal {
    None,    ///< changed
    BodyCut, ///< its body was not stored whole: a run would see only a prefix of it
    Leased,  ///< "running" under a lease that has not run out: a live host is running it
    TooOld,  ///< created before the dedup window: its deduplication row may be gone
    Gone,    ///< no longer in the table (settled by a retry worker, removed by an operator)
    Changed, ///< none of the above holds any more: it changed while the command ran
};

/// What an operator's refused change found, for the line that names the reason.
struct RowRefusal {
    Refusal reason = Refusal::None;
    std::int64_t leasedUntil = 0; ///< Leased: when the lease runs out (ms since the epoch)
    std::string leasedBy;         ///< Leased: the retry worker holding it ("" when unknown)
    std::int64_t createdAt = 0;   ///< TooOld: when the row was created
};

/// Another consumer an inbox row is retried by (the console's "retry to another consumer").
struct Redirect {
    std::string source;       ///< "amqp:<consumer>"
    std::string failureGroup; ///< the row's failure_group under that source; "": no such column
};

/// The changes `failed:retry` and `failed:remove` make to a row of the failed table, each only
/// while the row may be changed: the conditions are in the UPDATE's or DELETE's own WHERE, so a
/// retry worker of another host that leases the row between the command's read and its write
/// makes the write change nothing (a read-then-write would run the row on two hosts). When a
/// change touched no row, the row is read once more to name why.
///
/// Runs on the caller's session and transaction. Not thread-safe (one per command); a database
/// error propagates as Poco's exception.
class GuardedChange {
public:
    /// nowMs: a "running" row whose lease (its available_at) is later than this is held.
    GuardedChange(std::string table, std::int64_t nowMs);

    /// failed:retry of an inbox row: "retry", due now, its attempts capped at maxAttempts (so
    /// it has one more). Refused when its body was cut, when a live host holds it and, given
    /// createdSince (the start of the dedup window; nullopt with --force), when it was created
    /// before then. redirect, when given, moves it to another consumer's retry worker; the caller
    /// checks that consumer handles the message's name.
    RowRefusal retryNow(Poco::Data::Session& session, std::int64_t id, int maxAttempts,
                        std::optional<std::int64_t> createdSince,
                        const std::optional<Redirect>& redirect = std::nullopt);

    /// failed:retry of an outbox row: deletes it under retryNow()'s conditions, for the caller
    /// to write it back into the outbox in the same transaction.
    RowRefusal takeForRetry(Poco::Data::Session& session, std::int64_t id,
                            std::optional<std::int64_t> createdSince);

    /// failed:remove: deletes the row unless a live host holds it.
    RowRefusal remove(Poco::Data::Session& session, std::int64_t id);

    /// True when a row's error message says its body was not stored whole (see FailedStore).
    static bool bodyWasCut(const std::string& errorMessage);

private:
    /// The conditions of a retry, as SQL over the table's columns ("AND ...").
    std::string retryConditions(std::optional<std::int64_t> createdSince) const;
    std::string notLeased() const;
    /// Why the row id was left by a change that touched no row; a cut body counts when
    /// cutCounts (a retry, not a removal).
    RowRefusal refusalOf(Poco::Data::Session& session, std::int64_t id, bool cutCounts,
                         std::optional<std::int64_t> createdSince);

    std::string _table;
    std::int64_t _now;
};

/// The notes FailedStore puts at the front of a row's error message when the body it stores is
/// not the one that arrived (at the front: the message is cut to its column after them, and the
/// note must survive that); GuardedChange recognises rows by them.
std::string bodyCutNote(std::size_t storedBytes, std::size_t wholeBytes);
std::string bodyDroppedNote(std::size_t wholeBytes, const std::string& why);
/// errorMessage without the note above at its front (when it has one): the error itself.
std::string_view withoutBodyNote(std::string_view errorMessage);

} // namespace msgbus::core
